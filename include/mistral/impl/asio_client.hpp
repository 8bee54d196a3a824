// mistral/impl/asio_client.hpp: the definitions of asio.hpp, the only file of the library that
// includes Boost.Beast: connections (TCP, TLS, proxy tunnels) kept per origin, one HTTP/1.1
// exchange, and the operations as C++20 coroutines over the byte-fed core and the call plan (the
// blocking client's rules). Included at the end of asio.hpp in a header-only build, else only by
// src.hpp when MISTRAL_ASIO is defined.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#if __has_include(<openssl/ssl.h>) && !defined(MISTRAL_NO_TLS)
#define MISTRAL_ASIO_TLS 1
#include <boost/asio/ssl.hpp>
#endif

#include "../asio.hpp"
#include "../detail/config.hpp"
#include "../detail/proxy.hpp"
#include "../error.hpp"
#include "../exchange.hpp"
#include "../usage.hpp"
#include "call_plan.hpp"
#include "exchange.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

namespace asio_impl {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
template <class T>
using awaitable = net::awaitable<T>;
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// What a connection keeps between messages: framing only (a response head, chunk sizes, trailers),
// so its size bounds what a server can make it hold besides the body (which is copied out).
inline constexpr std::size_t framing_limit = 64 * 1024;
inline constexpr std::size_t piece_size = 16 * 1024;

// One connection to an origin (through a proxy, if any): TCP, and TLS over it for https.
struct connection {
    explicit connection(const net::any_io_executor& ex) : plain(std::in_place, ex) {}
    std::string origin;
    std::optional<beast::tcp_stream> plain;
#ifdef MISTRAL_ASIO_TLS
    std::optional<net::ssl::stream<beast::tcp_stream>> secure;
#endif
    beast::flat_buffer buffer{framing_limit};

    beast::tcp_stream& lowest() {
#ifdef MISTRAL_ASIO_TLS
        if (secure) return secure->next_layer();
#endif
        return *plain;
    }
    void close() {
        beast::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close();
    }
    bool is_open() {
        return lowest().socket().is_open();
    }
    // Whether an idle connection can carry another request: nothing waiting to be read on it
    // (a late or unsolicited response, the peer's close).
    bool reusable() {
        if (!is_open() || buffer.size() != 0) return false;
        beast::error_code ec;
        return lowest().socket().available(ec) == 0 && !ec;
    }
};

}  // namespace asio_impl

// What a client and its copies share: options, TLS context, idle connections, usage counts.
struct asio_shared {
    asio_shared(boost::asio::any_io_executor ex, client_options o)
        : executor(std::move(ex)), options(std::move(o)) {
#ifdef MISTRAL_ASIO_TLS
        namespace ssl = boost::asio::ssl;
        boost::system::error_code ec;
        tls.set_verify_mode(ssl::verify_peer, ec);
        const tls_options& t = options.transport.tls;
        if (t.ca_file.empty() && t.ca_dir.empty()) {
            tls.set_default_verify_paths(ec);
        } else {
            if (!t.ca_file.empty() && tls.load_verify_file(t.ca_file, ec))
                tls_problem = "cannot use tls.ca_file \"" + t.ca_file + "\": " + ec.message();
            if (!t.ca_dir.empty() && tls.add_verify_path(t.ca_dir, ec))
                tls_problem = "cannot use tls.ca_dir \"" + t.ca_dir + "\": " + ec.message();
        }
        if (!t.client_cert_file.empty() && tls.use_certificate_chain_file(t.client_cert_file, ec)) {
            tls_problem =
                "cannot use tls.client_cert_file \"" + t.client_cert_file + "\": " + ec.message();
        }
        if (!t.client_key_file.empty() &&
            tls.use_private_key_file(t.client_key_file, ssl::context::pem, ec)) {
            tls_problem =
                "cannot use tls.client_key_file \"" + t.client_key_file + "\": " + ec.message();
        }
#endif
    }

    std::unique_ptr<asio_impl::connection> take(const std::string& origin) {
        std::lock_guard lock(mutex);
        for (auto it = idle.rbegin(); it != idle.rend();) {
            if ((*it)->origin != origin) {
                ++it;
                continue;
            }
            std::unique_ptr<asio_impl::connection> conn = std::move(*it);
            it = decltype(it)(idle.erase(std::next(it).base()));
            if (conn->reusable()) return conn;
        }
        return nullptr;
    }
    void give(std::unique_ptr<asio_impl::connection> conn) {
        std::lock_guard lock(mutex);
        if (idle.size() < options.transport.max_idle_connections) idle.push_back(std::move(conn));
    }

    boost::asio::any_io_executor executor;
    client_options options;
    std::shared_ptr<usage_counter> usage = std::make_shared<usage_counter>();
#ifdef MISTRAL_ASIO_TLS
    boost::asio::ssl::context tls{boost::asio::ssl::context::tls_client};
#endif
    std::string tls_problem;  // a trust store or client certificate that could not be loaded
    std::mutex mutex;
    std::vector<std::unique_ptr<asio_impl::connection>> idle;
};

namespace asio_impl {

// The bounds of one I/O step: its own timeout, and the call's deadline.
struct step_bound {
    std::chrono::milliseconds timeout;
    std::optional<clock::time_point> deadline;
    const char* what;  // "connect", "no data"

    void arm(beast::tcp_stream& s) const {
        auto at = clock::now() + timeout;
        if (deadline && *deadline < at) at = *deadline;
        s.expires_at(at);
    }
};

// The call an operation runs: its plan (the blocking client's rules), its cancellation, and the
// one connection it uses at a time.
struct call_context {
    call_context(std::shared_ptr<asio_shared> s, chat_request r, call_options c, bool streaming)
        : shared(std::move(s)),
          request(std::move(r)),
          call(std::move(c)),
          plan(shared->options, request, call, streaming) {}

    std::shared_ptr<asio_shared> shared;
    chat_request request;
    call_options call;
    call_plan<> plan;
    std::unique_ptr<connection> conn;    // the connection of the exchange under way
    net::steady_timer* timer = nullptr;  // the retry wait under way
    std::optional<http::response_parser<http::buffer_body>> parser;
    std::string what;  // "POST https://host:port/path: ", for errors
    bool cancelled = false;
};

// An error code of an I/O step, in the library's words.
[[noreturn]] inline void fail(call_context& c, const beast::error_code& ec, const step_bound& bound,
                              bool sent, bool head_seen = false) {
    if (c.cancelled || ec == net::error::operation_aborted) throw cancelled(head_seen, c.what);
    if (ec == beast::error::timeout) {
        if (bound.deadline && clock::now() >= *bound.deadline) throw total_timeout_expired(c.what);
        throw transport_error(transport_error_kind::timeout,
                              c.what + "timeout failure: " + bound.what + " for " +
                                  std::to_string(bound.timeout.count()) + " ms",
                              sent);
    }
#ifdef MISTRAL_ASIO_TLS
    if (ec.category() == net::error::get_ssl_category() ||
        ec.category() == net::ssl::error::get_stream_category()) {
        if (ec == net::ssl::error::stream_truncated)
            throw transport_error(transport_error_kind::reset,
                                  c.what + "reset failure: " + "the TLS stream was cut", sent);
        std::string why = ec.message();
        if (c.conn && c.conn->secure) {
            const long verify = SSL_get_verify_result(c.conn->secure->native_handle());
            if (verify != X509_V_OK)
                why = std::string("certificate verification failed: ") +
                      X509_verify_cert_error_string(verify);
        }
        throw transport_error(transport_error_kind::tls, c.what + "tls failure: " + why, false);
    }
#endif
    if (ec == net::error::connection_refused || ec == net::error::host_unreachable ||
        ec == net::error::network_unreachable) {
        throw transport_error(transport_error_kind::connect,
                              c.what + "connect failure: " + ec.message(), false);
    }
    throw transport_error(transport_error_kind::reset, c.what + "reset failure: " + ec.message(),
                          sent);
}

// Checks for a cancellation that came between steps.
inline awaitable<void> check_cancelled(call_context& c, bool head_seen) {
    const auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none || c.call.stop.stop_requested()) {
        c.cancelled = true;
        throw cancelled(head_seen, c.what);
    }
}

inline std::string origin_of(const url_parts& url) {
    return url.scheme + "://" +
           (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" +
           std::to_string(url.port);
}

// A new connection to the URL's origin: resolved, connected, tunnelled through the proxy for
// https, TLS with SNI and host-name verification.
inline awaitable<std::unique_ptr<connection>> connect(call_context& c, const url_parts& url) {
    const http_request& r = c.plan.request();
    const step_bound bound{r.connect_timeout, r.deadline, "connect"};
    const auto ex = co_await net::this_coro::executor;
    auto conn = std::make_unique<connection>(ex);
    conn->origin = origin_of(url);
    const auto proxy = select_proxy(c.shared->options.transport.proxy, url);
    const std::string host = proxy ? proxy->host : url.host;
    const int port = proxy ? proxy->port : url.port;

    tcp::resolver resolver(ex);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
    co_await check_cancelled(c, false);
    if (resolve_ec) {
        throw transport_error(
            transport_error_kind::name_resolution,
            c.what + "cannot resolve " + (proxy ? "the proxy's host name " : "host name ") + host,
            false);
    }
    bound.arm(*conn->plain);
    c.conn = std::move(conn);
    auto [connect_ec, endpoint] = co_await c.conn->plain->async_connect(endpoints, use_tuple);
    if (connect_ec) {
        if (proxy && connect_ec != beast::error::timeout &&
            connect_ec != net::error::operation_aborted)
            throw transport_error(transport_error_kind::connect,
                                  c.what + "connect failure: proxy " + connect_ec.message(), false);
        fail(c, connect_ec, bound, false);
    }
    c.conn->plain->socket().set_option(tcp::no_delay(true));

    if (proxy && url.scheme == "https") {
        // The tunnel, with the same request and verdict as the default transport.
        const std::string request = connect_request(url, *proxy);
        bound.arm(*c.conn->plain);
        auto [write_ec, written] =
            co_await net::async_write(*c.conn->plain, net::buffer(request), use_tuple);
        if (write_ec) fail(c, write_ec, bound, false);
        std::string head;
        auto [read_ec, n] = co_await net::async_read_until(
            *c.conn->plain, net::dynamic_buffer(head, 16 * 1024), "\r\n\r\n", use_tuple);
        if (read_ec) fail(c, read_ec, bound, false);
        if (head.size() > n) {
            throw transport_error(transport_error_kind::proxy,
                                  c.what + "the proxy sent bytes after its answer to CONNECT",
                                  false);
        }
        const int status = connect_status(head);
        if (status < 200 || status > 299) {
            const transport_error refused = connect_refused(head, url);
            throw transport_error(refused.kind(), c.what + refused.what(), false);
        }
    }
    if (url.scheme == "https") {
#ifdef MISTRAL_ASIO_TLS
        if (!c.shared->tls_problem.empty())
            throw transport_error(transport_error_kind::tls, c.shared->tls_problem, false);
        beast::tcp_stream tcp_layer = std::move(*c.conn->plain);
        c.conn->plain.reset();
        c.conn->secure.emplace(std::move(tcp_layer), c.shared->tls);
        auto& tls = *c.conn->secure;
        if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
            throw transport_error(transport_error_kind::tls,
                                  c.what + "cannot set the TLS server name", false);
        }
        tls.set_verify_callback(net::ssl::host_name_verification(url.host));
        bound.arm(tls.next_layer());
        auto [handshake_ec] =
            co_await tls.async_handshake(net::ssl::stream_base::client, use_tuple);
        if (handshake_ec) fail(c, handshake_ec, bound, false);
#else
        throw transport_error(transport_error_kind::other,
                              c.what + "https needs the Asio client built with OpenSSL", false);
#endif
    }
    co_return std::move(c.conn);
}

template <class Stream>
awaitable<void> write_request(call_context& c, Stream& s, http::request<http::string_body>& req,
                              const step_bound& bound) {
    bound.arm(beast::get_lowest_layer(s));
    auto [ec, n] = co_await http::async_write(s, req, use_tuple);
    if (ec) fail(c, ec, bound, true);
}

template <class Stream>
awaitable<void> read_head(call_context& c, Stream& s, const step_bound& bound) {
    for (;;) {
        c.parser.emplace();
        c.parser->body_limit(boost::none);  // the decoder bounds what it keeps
        c.parser->header_limit(16 * 1024);
        bound.arm(beast::get_lowest_layer(s));
        auto [ec, n] = co_await http::async_read_header(s, c.conn->buffer, *c.parser, use_tuple);
        if (ec) fail(c, ec, bound, true);
        const auto status = static_cast<int>(c.parser->get().result_int());
        if (status < 100 || status > 199) co_return;
        // An informational answer (103 Early Hints): the response comes after it.
    }
}

// Reads the next piece of the body into `buffer`: what has arrived, at once; 0 once the body
// has ended.
template <class Stream>
awaitable<std::size_t> read_piece(call_context& c, Stream& s, char* buffer, std::size_t size,
                                  const step_bound& bound) {
    for (;;) {
        if (c.parser->is_done()) co_return 0;
        auto& body = c.parser->get().body();
        body.data = buffer;
        body.size = size;
        bound.arm(beast::get_lowest_layer(s));
        // read_some returns with what arrived; read() would wait for the buffer to fill.
        auto [ec, n] = co_await http::async_read_some(s, c.conn->buffer, *c.parser, use_tuple);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) fail(c, ec, bound, true, true);
        if (const std::size_t got = size - body.size; got > 0) co_return got;
        // only framing (a chunk size) was read: read on
    }
}

// The exchange of one attempt up to the response head, on a pooled connection or a new one.
// A request a pooled connection fails before any answer (the server had closed it while it was
// idle) goes once more on a new connection, at once: it was never processed.
inline awaitable<response_head> send_request(call_context& c) {
    const http_request& r = c.plan.request();
    const url_parts url = parse_url(r.url);
    c.what = r.method + " " + url.scheme + "://" + url.host + ":" + std::to_string(url.port) +
             url.target + ": ";
    const auto proxy = select_proxy(c.shared->options.transport.proxy, url);
    const bool absolute = proxy && url.scheme == "http";  // plain http through a proxy

    http::request<http::string_body> req{http::string_to_verb(r.method),
                                         absolute ? r.url : url.target, 11};
    const std::string host =
        url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    req.set(http::field::host, url.port == (url.scheme == "https" ? 443 : 80)
                                   ? host
                                   : host + ":" + std::to_string(url.port));
    for (const auto& h : r.headers) req.insert(h.name, h.value);
    if (r.headers.find("accept").value_or("") == "text/event-stream" &&
        !r.headers.contains("accept-encoding"))
        req.set(http::field::accept_encoding, "identity");
    if (absolute && !proxy->user.empty()) {
        req.set(http::field::proxy_authorization,
                "Basic " + base64_encode(proxy->user + ":" + proxy->password));
    }
    req.keep_alive(true);
    req.body() = r.body;
    req.prepare_payload();

    const step_bound write_bound{r.read_timeout, r.deadline, "no data"};
    for (int tries = 0;; ++tries) {
        co_await check_cancelled(c, false);
        c.conn = tries == 0 ? c.shared->take(origin_of(url)) : nullptr;
        const bool reused = c.conn != nullptr;
        if (!reused) c.conn = co_await connect(c, url);
        co_await check_cancelled(c, false);
        try {
#ifdef MISTRAL_ASIO_TLS
            if (c.conn->secure) {
                co_await write_request(c, *c.conn->secure, req, write_bound);
                co_await read_head(c, *c.conn->secure, write_bound);
            } else
#endif
            {
                co_await write_request(c, *c.conn->plain, req, write_bound);
                co_await read_head(c, *c.conn->plain, write_bound);
            }
        } catch (const transport_error& e) {
            if (reused && !c.cancelled && e.kind() == transport_error_kind::reset) {
                c.conn->close();
                continue;  // a stale pooled connection: once more, on a new one
            }
            throw;
        }
        response_head head{static_cast<int>(c.parser->get().result_int()), {}};
        for (const auto& field : c.parser->get())
            head.headers.add(std::string(field.name_string()), std::string(field.value()));
        co_return head;
    }
}

inline awaitable<std::size_t> read_body_piece(call_context& c, char* buffer, std::size_t size,
                                              const step_bound& bound) {
#ifdef MISTRAL_ASIO_TLS
    if (c.conn->secure) co_return co_await read_piece(c, *c.conn->secure, buffer, size, bound);
#endif
    co_return co_await read_piece(c, *c.conn->plain, buffer, size, bound);
}

// After a whole body: the connection goes back to the pool when the server keeps it open.
inline void release(call_context& c) {
    if (c.conn && c.parser && c.parser->is_done() && c.parser->keep_alive() && c.conn->is_open()) {
        c.shared->give(std::move(c.conn));
    } else if (c.conn) {
        c.conn->close();
    }
    c.conn.reset();
}

inline void drop(call_context& c) {
    if (c.conn) c.conn->close();
    c.conn.reset();
}

// The wait before a retry: a timer, cancelled with the operation.
inline awaitable<void> wait(call_context& c, std::chrono::milliseconds d) {
    net::steady_timer timer(co_await net::this_coro::executor, d);
    c.timer = &timer;
    auto [ec] = co_await timer.async_wait(use_tuple);
    c.timer = nullptr;
    if (ec) c.cancelled = true;
    co_await check_cancelled(c, false);
}

// Cancels from call_options::stop, from any thread: the operation is woken on its executor
// (its connection closed, its retry wait cancelled), if it still runs.
struct stop_watch {
    stop_watch(std::weak_ptr<call_context> call, const stop_token& stop,
               const net::any_io_executor& ex)
        : callback(stop, [call, ex] {
              net::post(ex, [call] {
                  const std::shared_ptr<call_context> c = call.lock();
                  if (!c) return;
                  c->cancelled = true;
                  if (c->conn) c->conn->close();
                  if (c->timer != nullptr) c->timer->cancel();
              });
          }) {}
    stop_callback<std::function<void()>> callback;
};

inline awaitable<chat_response> chat_op(std::shared_ptr<call_context> c) {
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);
    const stop_watch watch(c, c->call.stop, co_await net::this_coro::executor);
    std::array<char, piece_size> buffer;
    for (;;) {
        c->plan.begin_attempt();
        c->shared->usage->add_request(c->request.model);
        std::optional<transport_error> failure;
        response_head head;
        std::string body;
        const http_request& r = c->plan.request();
        const std::size_t limit = c->shared->options.max_response_size;
        try {
            head = co_await send_request(*c);
            const bool success = head.status >= 200 && head.status <= 299;
            const std::size_t keep = success ? limit : std::min(limit, max_error_body);
            const step_bound bound{r.read_timeout, r.deadline, "no data"};
            for (;;) {
                const std::size_t n =
                    co_await read_body_piece(*c, buffer.data(), buffer.size(), bound);
                if (n == 0) break;
                if (body.size() + n > keep) {
                    if (success) throw response_too_large(limit);
                    body.append(buffer.data(), keep - body.size());
                    break;  // an error body is kept up to its cap
                }
                body.append(buffer.data(), n);
            }
        } catch (const transport_error& e) {
            failure.emplace(c->plan.failure(e));
            drop(*c);
        }
        if (failure) {
            // (Named, never a temporary under co_await: GCC 12 destroys those twice.)
            const auto decision = c->plan.retry_after(*failure);
            if (!decision) throw *failure;
            co_await wait(*c, decision->wait);
            continue;
        }
        release(*c);
        c->plan.on_head(head);
        if (head.status < 200 || head.status > 299) {
            response_metadata meta =
                make_response_metadata(head.status, c->plan.redact()(head.headers));
            c->plan.stamp(meta);
            const api_error e =
                error_of_response(std::move(meta), std::move(body), c->plan.redact());
            const auto decision = c->plan.retry_after(e);
            if (!decision) throw e;
            co_await wait(*c, decision->wait);
            continue;
        }
        chat_response reply = decode_response(head, body, c->shared->options, c->call);
        c->plan.stamp(reply.http);
        c->shared->usage->add(c->request.model, reply.usage);
        co_return reply;
    }
}

}  // namespace asio_impl

// An open stream: the call, its decoder, and the chunks decoded from the last piece of the body
// that the caller has not taken yet.
struct asio_stream_state {
    asio_stream_state(std::shared_ptr<asio_shared> s, chat_request r, call_options c)
        : call(std::move(s), std::move(r), std::move(c), true),
          decoder(call.shared->options, call.call),
          idle((call.call.timeouts ? *call.call.timeouts : call.shared->options.timeouts)
                   .stream_idle) {}
    ~asio_stream_state() { asio_impl::drop(call); }

    asio_impl::call_context call;
    stream_decoder decoder;
    std::chrono::milliseconds idle;
    boost::asio::any_io_executor strand;  // every step of the stream runs there
    std::chrono::steady_clock::time_point last_event = std::chrono::steady_clock::now();
    std::deque<chat_chunk> ready;
    std::optional<chat_response> final;
    std::optional<asio_impl::stop_watch> watch;
    bool reported = false;
    std::array<char, asio_impl::piece_size> buffer{};

    const chat_response& response() const noexcept { return final ? *final : decoder.response(); }
    void report(const usage_info& usage) {
        if (std::exchange(reported, true)) return;
        call.shared->usage->add(call.request.model, usage);
    }
    void last_event_at() { last_event = std::chrono::steady_clock::now(); }
};

namespace asio_impl {

// The attempts of a stream until a 2xx head (retries of what failed before anything arrived), as
// the blocking client's open_stream().
inline awaitable<void> open_response(asio_stream_state& s) {
    call_context& c = s.call;
    auto& state = stream_decoder_access::state(s.decoder);
    for (;;) {
        c.plan.begin_attempt();
        c.shared->usage->add_request(c.request.model);
        state.begin_response();
        std::optional<transport_error> failure;
        try {
            const response_head head = co_await send_request(c);
            s.decoder.head(head);
            if (state.state !=
                stream_decoder_state<void>::mode::events) {  // an error body: read it
                const http_request& r = c.plan.request();
                const step_bound bound{r.read_timeout, r.deadline, "no data"};
                for (;;) {
                    const std::size_t n =
                        co_await read_body_piece(c, s.buffer.data(), s.buffer.size(), bound);
                    if (n == 0) break;
                    s.decoder.feed(std::string_view(s.buffer.data(), n), [](const chat_chunk&) {});
                }
                release(c);
            }
        } catch (const transport_error& e) {
            failure.emplace(c.plan.failure(e));
            drop(c);
        }
        if (failure) {
            const auto decision = c.plan.retry_after(*failure);
            if (!decision) throw *failure;
            co_await wait(c, decision->wait);
            continue;
        }
        c.plan.on_head(state.head);
        if (state.head.status < 200 || state.head.status > 299) {
            response_metadata meta = make_response_metadata(state.head.status, state.head.headers);
            c.plan.stamp(meta);
            const api_error e = error_of_response(
                std::move(meta), std::move(state.error_body.text()), c.plan.redact());
            const auto decision = c.plan.retry_after(e);
            if (!decision) throw e;
            co_await wait(c, decision->wait);
            continue;
        }
        if (state.state != stream_decoder_state<void>::mode::events) (void)s.decoder.finish();
        response_metadata meta = make_response_metadata(state.head.status, state.head.headers);
        c.plan.stamp(meta);
        state.fold.set_http(std::move(meta));
        co_return;
    }
}

// Resumes a stream cut after text arrived, when the plan allows; else throws what the cut is.
inline awaitable<void> resume_or_fail(asio_stream_state& s, const transport_error& cut) {
    drop(s.call);
    auto& state = stream_decoder_access::state(s.decoder);
    if (!s.call.plan.resume(s.decoder)) {
        if (cut.kind() == transport_error_kind::timeout ||
            cut.kind() == transport_error_kind::cancelled) {
            transport_error copy = cut;
            state.attach_partial(copy);
            throw copy;
        }
        protocol_error ended("stream ended before [DONE] after " +
                             std::to_string(state.fold.chunk_count()) + " chunks: " + cut.what());
        state.attach_partial(ended);
        throw ended;
    }
    co_await open_response(s);
}

// Reads until the next chunk, or the end: nullopt once [DONE] came and the body was drained.
inline awaitable<std::optional<chat_chunk>> next_op(std::shared_ptr<asio_stream_state> s) {
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);
    call_context& c = s->call;
    auto& state = stream_decoder_access::state(s->decoder);
    try {
        while (s->ready.empty() && !s->final) {
            const http_request& r = c.plan.request();
            const bool draining = s->decoder.done();
            const step_bound bound{draining ? drain_grace : r.read_timeout, r.deadline,
                                   draining ? "the rest after [DONE]" : "no data"};
            std::size_t n = 0;
            std::optional<transport_error> failure;
            try {
                co_await check_cancelled(c, true);
                n = co_await read_body_piece(c, s->buffer.data(), s->buffer.size(), bound);
            } catch (const transport_error& e) {
                failure.emplace(c.plan.failure(e));
            }
            if (failure && !draining) {
                co_await resume_or_fail(*s, *failure);
                continue;
            }
            if (failure || n == 0) {
                if (failure) {
                    drop(c);  // [DONE] had arrived: only the draining failed
                } else if (!s->decoder.done()) {
                    release(c);
                    if (c.plan.resume(s->decoder)) {  // ended before [DONE]: asked to continue
                        co_await open_response(*s);
                        continue;
                    }
                } else {
                    release(c);
                }
                s->final.emplace(s->decoder.finish());
                c.plan.stamp(s->final->http);
                s->report(s->final->usage);
                break;
            }
            const auto events_before = s->decoder.events();
            s->decoder.feed(std::string_view(s->buffer.data(), n), [&](const chat_chunk& chunk) {
                s->ready.push_back(chunk);
                return true;
            });
            if (s->decoder.events() != events_before) {
                s->last_event_at();
            } else if (!s->decoder.done() && clock::now() - s->last_event >= s->idle) {
                const transport_error stalled = c.plan.failure(transport_error(
                    transport_error_kind::timeout,
                    "no event for " + std::to_string(s->idle.count()) +
                        " ms (timeouts.stream_idle); the server sent only comments or keep-alives",
                    true));
                co_await resume_or_fail(*s, stalled);
            }
        }
    } catch (mistral::error& e) {
        if (e.partial_response() == nullptr) state.attach_partial(e);
        drop(c);
        s->final.emplace(s->decoder.response());
        s->report(s->final->usage);
        throw;
    }
    if (s->ready.empty()) co_return std::nullopt;
    std::optional<chat_chunk> next(std::move(s->ready.front()));
    s->ready.pop_front();
    co_return next;
}

inline awaitable<asio_stream> open_op(std::shared_ptr<asio_stream_state> s) {
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);
    s->watch.emplace(std::shared_ptr<call_context>(s, &s->call), s->call.call.stop,
                     co_await net::this_coro::executor);
    co_await open_response(*s);
    s->last_event_at();
    co_return asio_stream(std::move(s));
}

// stream(): the stream opened and pulled to its end, every chunk handed to on_chunk.
inline awaitable<chat_response> stream_op(std::shared_ptr<asio_stream_state> s,
                                          std::function<bool(const chat_chunk&)> on_chunk) {
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);
    s->watch.emplace(std::shared_ptr<call_context>(s, &s->call), s->call.call.stop,
                     co_await net::this_coro::executor);
    co_await open_response(*s);
    s->last_event_at();
    for (;;) {
        std::optional<chat_chunk> chunk = co_await next_op(s);
        if (!chunk) break;
        if (!on_chunk(*chunk)) {  // stopped early: not an error; the connection is closed
            drop(s->call);
            chat_response folded = s->decoder.response();
            s->call.plan.stamp(folded.http);
            s->report(folded.usage);
            co_return folded;
        }
    }
    co_return *s->final;
}

}  // namespace asio_impl
}  // namespace detail

MISTRAL_DECL asio_client::asio_client(executor_type executor, client_options options)
    : shared_(std::make_shared<detail::asio_shared>(std::move(executor), std::move(options))) {}

MISTRAL_DECL usage_totals asio_client::usage() const {
    return shared_->usage->totals();
}

MISTRAL_DECL asio_client::executor_type asio_client::get_executor() const noexcept {
    return shared_->executor;
}

MISTRAL_DECL const client_options& asio_client::options() const noexcept {
    return shared_->options;
}

MISTRAL_DECL void asio_client::start_chat(
    chat_request request, call_options call,
    boost::asio::any_completion_handler<response_signature> handler) {
    namespace net = boost::asio;
    const auto strand = net::make_strand(shared_->executor);
    std::shared_ptr<detail::asio_impl::call_context> context;
    try {
        context = std::make_shared<detail::asio_impl::call_context>(shared_, std::move(request),
                                                                    std::move(call), false);
    } catch (...) {  // usage_error: before any I/O, completed on the executor as any other
        net::post(strand, [h = std::move(handler), e = std::current_exception()]() mutable {
            std::move(h)(e, chat_response{});
        });
        return;
    }
    net::co_spawn(strand, detail::asio_impl::chat_op(std::move(context)), std::move(handler));
}

MISTRAL_DECL void asio_client::start_stream(
    chat_request request, std::function<bool(const chat_chunk&)> on_chunk, call_options call,
    boost::asio::any_completion_handler<response_signature> handler) {
    namespace net = boost::asio;
    const auto strand = net::make_strand(shared_->executor);
    std::shared_ptr<detail::asio_stream_state> state;
    try {
        state = std::make_shared<detail::asio_stream_state>(shared_, std::move(request),
                                                            std::move(call));
    } catch (...) {
        net::post(strand, [h = std::move(handler), e = std::current_exception()]() mutable {
            std::move(h)(e, chat_response{});
        });
        return;
    }
    state->strand = strand;
    net::co_spawn(strand, detail::asio_impl::stream_op(std::move(state), std::move(on_chunk)),
                  std::move(handler));
}

MISTRAL_DECL void asio_client::start_open_stream(
    chat_request request, call_options call,
    boost::asio::any_completion_handler<stream_signature> handler) {
    namespace net = boost::asio;
    const auto strand = net::make_strand(shared_->executor);
    std::shared_ptr<detail::asio_stream_state> state;
    try {
        state = std::make_shared<detail::asio_stream_state>(shared_, std::move(request),
                                                            std::move(call));
    } catch (...) {
        net::post(strand, [h = std::move(handler), e = std::current_exception()]() mutable {
            std::move(h)(e, asio_stream());
        });
        return;
    }
    state->strand = strand;
    net::co_spawn(strand, detail::asio_impl::open_op(std::move(state)), std::move(handler));
}

MISTRAL_DECL asio_stream::asio_stream(std::shared_ptr<detail::asio_stream_state> state) noexcept
    : state_(std::move(state)) {}
MISTRAL_DECL asio_stream::asio_stream(asio_stream&&) noexcept = default;
MISTRAL_DECL asio_stream& asio_stream::operator=(asio_stream&&) noexcept = default;
MISTRAL_DECL asio_stream::~asio_stream() = default;

MISTRAL_DECL const chat_response& asio_stream::response() const noexcept {
    return state_->response();
}

MISTRAL_DECL void asio_stream::start_next(
    boost::asio::any_completion_handler<next_signature> handler) {
    namespace net = boost::asio;
    net::co_spawn(state_->strand, detail::asio_impl::next_op(state_), std::move(handler));
}

MISTRAL_NAMESPACE_END
