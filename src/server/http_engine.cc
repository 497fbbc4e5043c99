#include "server/http_engine.h"

#include <array>
#include <atomic>
#include <limits>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace statcoder::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

bool IsParseError(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_target).category();
}

}  // namespace

struct HttpEngine::Impl {
  Impl(const HttpEngineOptions& o, HttpHandler& h)
      : options(o), handler(h), workers(static_cast<size_t>(o.threads)) {}

  const HttpEngineOptions options;
  HttpHandler& handler;
  // Connection counts, before the io_context: sessions it destroys release theirs.
  std::mutex connections_mu;
  size_t connections = 0;
  std::map<std::string, size_t> per_address;
  std::atomic<bool> stopping{false};
  std::atomic<int> busy{0};  // exchanges between their headers and their response

  net::thread_pool workers;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  net::steady_timer stop_timer{ioc};

  // Once stopping: stops the io_context when no exchange is in flight, or at `deadline`.
  void StopWhenIdle(Clock::time_point deadline) {
    if (busy == 0 || Clock::now() >= deadline) {
      ioc.stop();
      return;
    }
    stop_timer.expires_after(std::chrono::milliseconds(20));
    stop_timer.async_wait([this, deadline](beast::error_code) { StopWhenIdle(deadline); });
  }

  bool Admit(const std::string& address) {
    std::lock_guard<std::mutex> lock(connections_mu);
    size_t& mine = per_address[address];
    if (connections >= static_cast<size_t>(options.max_connections) ||
        mine >= static_cast<size_t>(options.max_connections_per_address)) {
      if (mine == 0) per_address.erase(address);
      return false;
    }
    ++connections;
    ++mine;
    return true;
  }
  void Release(const std::string& address) {
    std::lock_guard<std::mutex> lock(connections_mu);
    --connections;
    const auto it = per_address.find(address);
    if (it != per_address.end() && --it->second == 0) per_address.erase(it);
  }

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string address, HttpEngine::Impl* engine)
      : stream_(std::move(socket)),
        address_(std::move(address)),
        engine_(engine),
        options_(engine_->options),
        buffer_(options_.max_header_bytes + (64u << 10)) {}
  ~Session() {
    EndExchange();
    engine_->Release(address_);
  }

  void Start() { ReadHeader(); }

 private:
  void BeginExchange() {
    exchange_ = std::make_shared<HttpExchange>();
    exchange_->start = Clock::now();
    exchange_->request.remote_addr = address_;
    ++engine_->busy;
    counted_ = true;
  }
  void EndExchange() {
    if (counted_) --engine_->busy;
    counted_ = false;
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    // The body limit is set once the headers passed OnHeaders: a too-large Content-Length must
    // not be answered before authentication. (Not boost::none: Boost 1.74 compares a length
    // against an empty limit as exceeding it.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    exchange_.reset();
    // One deadline for the whole request line and headers, not per read: a client sending a
    // byte at a time cannot hold the connection longer.
    const int wait = options_.read_timeout_seconds + (served_ > 0 ? options_.keep_alive_seconds : 0);
    stream_.expires_after(std::chrono::seconds(wait));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        return Refuse(431, "request line and headers larger than " +
                               std::to_string(options_.max_header_bytes) + " bytes");
      }
      if (ec == beast::error::timeout) {
        // The stream closed the socket at the deadline; a partial request is logged as 408.
        if (buffer_.size() > 0) {
          return Refuse(408, "request line and headers not received within " +
                                 std::to_string(options_.read_timeout_seconds) + " s");
        }
        return Close();
      }
      if (IsParseError(ec) && ec != http::error::end_of_stream &&
          ec != http::error::partial_message) {
        return Refuse(400, "malformed HTTP request (" + ec.message() + ")");
      }
      return Close();
    }
    BeginExchange();
    HttpRequest& req = exchange_->request;
    const auto& head = parser_->get();
    req.method = std::string(head.method_string());
    req.target = std::string(head.target());
    const size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.params = ParseQuery(std::string_view(req.target).substr(q + 1));
    for (const auto& field : head) {
      req.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    req.has_body = parser_->chunked() ||
                   (parser_->content_length() && *parser_->content_length() > 0);
    version_ = head.version();
    keep_alive_ = head.keep_alive();
    if (!engine_->handler.OnHeaders(*exchange_)) {
      // Answered from the headers (e.g. 401): the body, if any, is never read.
      if (req.has_body) keep_alive_ = false;
      return Write();
    }
    if (parser_->content_length() && *parser_->content_length() > options_.max_body_bytes) {
      return Refuse(413, "request body larger than " + std::to_string(options_.max_body_bytes) +
                             " bytes");
    }
    // Counted while reading, chunked bodies included.
    parser_->body_limit(static_cast<std::uint64_t>(options_.max_body_bytes));
    if (req.has_body && beast::iequals(head[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, version_);
      stream_.expires_after(std::chrono::seconds(options_.write_timeout_seconds));
      return http::async_write(stream_, *continue_,
                               [self = shared_from_this()](beast::error_code e, size_t) {
                                 if (e) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(std::chrono::seconds(options_.read_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::body_limit) {
        return Refuse(413, "request body larger than " +
                               std::to_string(options_.max_body_bytes) + " bytes");
      }
      if (ec == beast::error::timeout) {
        return Refuse(408, "request body not received within " +
                               std::to_string(options_.read_timeout_seconds) + " s");
      }
      if (IsParseError(ec) && ec != http::error::partial_message &&
          ec != http::error::end_of_stream) {
        return Refuse(400, "malformed HTTP request body (" + ec.message() + ")");
      }
      return Close();
    }
    exchange_->request.body = std::move(parser_->get().body());
    parser_.reset();
    // The client waits while the handler runs: no deadline on the socket meanwhile.
    stream_.expires_never();
    net::post(engine_->workers, [self = shared_from_this()]() {
      self->engine_->handler.OnRequest(*self->exchange_);
      net::post(self->stream_.get_executor(), [self] { self->Write(); });
    });
  }

  void Refuse(int status, const std::string& why) {
    if (!exchange_) {
      BeginExchange();
      if (parser_ && parser_->is_header_done()) {
        exchange_->request.method = std::string(parser_->get().method_string());
      }
    }
    exchange_->response = HttpResponse();
    engine_->handler.OnRefused(*exchange_, status, why);
    if (exchange_->response.status == 0) exchange_->response.status = status;
    keep_alive_ = false;
    Write();
  }

  void Write() {
    HttpResponse& res = exchange_->response;
    if (res.status == 0) res.status = 500;
    ++served_;
    const bool keep = keep_alive_ && options_.keep_alive_seconds > 0 &&
                      served_ < options_.keep_alive_max_requests && !engine_->stopping;
    keep_alive_ = keep;
    const bool head = exchange_->request.method == "HEAD";
    auto fill = [&](auto& out) {
      out.version(version_ == 10 ? 10 : 11);
      out.result(static_cast<unsigned>(res.status));
      for (const auto& [name, value] : res.headers) out.set(name, value);
      if (!res.content_type.empty()) out.set(http::field::content_type, res.content_type);
      if (!res.HasHeader("X-Content-Type-Options")) {
        out.set("X-Content-Type-Options", "nosniff");
      }
      out.keep_alive(keep);
    };
    stream_.expires_after(std::chrono::seconds(options_.write_timeout_seconds));
    if (head) {
      head_out_.emplace();
      fill(*head_out_);
      head_out_->content_length(res.body.size());
      return http::async_write(stream_, *head_out_,
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 self->OnWritten(ec);
                               });
    }
    out_.emplace();
    fill(*out_);
    out_->body() = std::move(res.body);
    out_->prepare_payload();
    http::async_write(stream_, *out_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnWritten(ec);
    });
  }

  void OnWritten(beast::error_code ec) {
    out_.reset();
    head_out_.reset();
    engine_->handler.OnDone(*exchange_);
    exchange_.reset();
    EndExchange();
    if (ec) return Close();
    if (!keep_alive_) return GracefulClose();
    ReadHeader();
  }

  // Stops sending, then reads and discards what the client still sends (a body not read, for
  // instance) until it closes, so that closing does not reset the connection before the client
  // has read the answer. Bounded in time; nothing is kept.
  void GracefulClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  const std::string address_;
  HttpEngine::Impl* const engine_;  // outlives the session (destroys it with its io_context)
  const HttpEngineOptions& options_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpExchange> exchange_;
  std::optional<http::response<http::string_body>> out_;
  std::optional<http::response<http::empty_body>> head_out_;
  std::optional<http::response<http::empty_body>> continue_;
  std::array<char, 16384> discard_{};
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool counted_ = false;  // this session's exchange is in engine_->busy
  int served_ = 0;
};

}  // namespace

void HttpEngine::Impl::Accept() {
  acceptor.async_accept(
      net::make_strand(ioc), [self = this](beast::error_code ec, tcp::socket socket) {
        if (self->stopping) return;
        if (ec) {
          // Out of file descriptors, for instance: try again shortly rather than spin.
          self->accept_retry.expires_after(std::chrono::milliseconds(50));
          self->accept_retry.async_wait([self](beast::error_code) {
            if (!self->stopping) self->Accept();
          });
          return;
        }
        beast::error_code e;
        const tcp::endpoint remote = socket.remote_endpoint(e);
        const std::string address = e ? std::string("?") : remote.address().to_string();
        if (!self->Admit(address)) {
          static const std::string kBusy = [] {
            const std::string body =
                "{\"error\": {\"code\": \"unavailable\", \"message\": \"too many "
                "connections (--max-connections, --max-connections-per-address); retry later\"}}";
            return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                   "X-Content-Type-Options: nosniff\r\nRetry-After: 1\r\nConnection: close\r\n"
                   "Content-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body;
          }();
          socket.non_blocking(true, e);
          socket.write_some(net::buffer(kBusy.data(), kBusy.size()), e);
          socket.shutdown(tcp::socket::shutdown_both, e);
          socket.close(e);
        } else {
          std::make_shared<Session>(std::move(socket), address, self)->Start();
        }
        self->Accept();
      });
}

HttpEngine::HttpEngine(const HttpEngineOptions& options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(options, handler)) {}

HttpEngine::~HttpEngine() {
  Stop();
  impl_->ioc.stop();  // whether or not Run is still going
  impl_->workers.join();
}

core::Result<int> HttpEngine::Bind() {
  const HttpEngineOptions& o = impl_->options;
  auto fail = [&](const std::string& why) {
    return core::IoError("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (" + why +
                         ")");
  };
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  const auto results = resolver.resolve(o.host, std::to_string(o.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return fail("not an address of this machine: " + ec.message());
  const tcp::endpoint endpoint = results.begin()->endpoint();
  tcp::acceptor& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  return static_cast<int>(a.local_endpoint().port());
}

void HttpEngine::Run() {
  if (impl_->stopping) return;
  impl_->Accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.io_threads; ++i) {
    threads.emplace_back([impl = impl_.get()] { impl->ioc.run(); });
  }
  impl_->ioc.run();
  for (std::thread& t : threads) t.join();
}

void HttpEngine::Stop() {
  if (impl_->stopping.exchange(true)) return;
  // No new connections; exchanges in flight get up to 10 s to be answered (kept-alive
  // connections are closed after their current response), then the I/O threads end.
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  net::post(impl_->ioc, [impl = impl_.get(), deadline] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    impl->StopWhenIdle(deadline);
  });
}

}  // namespace statcoder::server
