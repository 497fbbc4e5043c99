// SC_CHECK: an invariant of the program itself. A failing check is a bug and aborts with the
// location; it must never be reachable from user input (bad input returns a Status instead).
#pragma once

#include <cstdio>
#include <cstdlib>

#define SC_CHECK(cond)                                                                   \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "statcoder: internal check failed at %s:%d: %s\n", __FILE__, \
                   __LINE__, #cond);                                                     \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
