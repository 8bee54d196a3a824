// mistral/impl/asio_client.hpp: the definitions of asio.hpp, the only file of the library that
// includes Boost.Beast: connections (TCP, TLS, proxy tunnels) kept per origin, one HTTP/1.1
// exchange, and the operations as C++20 coroutines over the byte-fed core and the call plan (the
// blocking client's rules). Included at the end of asio.hpp in a header-only build, else only by
// src.hpp when MISTRAL_ASIO is defined.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
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
#include "endpoints.hpp"
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
// A response head: the API's are under 2 KiB.
inline constexpr std::size_t head_limit = 16 * 1024;
// What one read takes at most: events are a few hundred bytes, and thousands of streams may be
// open at once, each with its own.
inline constexpr std::size_t piece_size = 1024;

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

    clock::time_point expiry() const {
        const auto at = clock::now() + timeout;
        return deadline && *deadline < at ? *deadline : at;
    }
    void arm(beast::tcp_stream& s) const { s.expires_at(expiry()); }
};

// The call an operation runs: its plan (the blocking client's rules), its cancellation, and the
// one connection it uses at a time.
struct call_context {
    // A chat completion (resumed, when cut, as a continuation).
    call_context(std::shared_ptr<asio_shared> s, chat_request r, call_options c, bool streaming)
        : shared(std::move(s)),
          request(std::move(r)),
          model(request.model),
          call(std::move(c)),
          plan(shared->options, request, call, streaming) {}
    // Another endpoint's request, prepared by it (with `c`, before `c` moved here).
    call_context(std::shared_ptr<asio_shared> s, prepared_call prepared, call_options c,
                 std::string m, bool streaming)
        : shared(std::move(s)),
          model(std::move(m)),
          call(std::move(c)),
          plan(shared->options, std::move(prepared), call, streaming) {}

    std::shared_ptr<asio_shared> shared;
    chat_request request;  // a chat completion's, else empty
    std::string model;     // what its requests and usage count under
    call_options call;
    call_plan<> plan;
    std::unique_ptr<connection> conn;    // the connection of the exchange under way
    net::steady_timer* timer = nullptr;  // the retry wait under way
    std::optional<http::response_parser<http::buffer_body>> parser;
    std::string what;  // "POST https://host:port/path: ", for errors
    bool cancelled = false;
    // Which operation of the call runs (a stream runs one per chunk): a cancellation that arrives
    // once its operation completed must not touch the next. Counted from the initiating thread.
    std::atomic<std::uint64_t> operation{0};
};

// Ends what the call is waiting for, on its strand: the connection is closed and the timer
// cancelled, so the step under way fails at once and reports the cancellation.
inline void interrupt(call_context& c) {
    c.cancelled = true;
    if (c.conn) c.conn->close();
    if (c.timer != nullptr) c.timer->cancel();
}

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
    // Not a fault of the connection: the server sent more than a response head may be (a
    // retry would get the same).
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        throw protocol_error(c.what + "the response head is larger than " +
                             std::to_string(head_limit / 1024) + " KiB, or its framing than " +
                             std::to_string(framing_limit / 1024) + " KiB");
    }
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
    if (c.cancelled || c.call.stop.stop_requested()) {
        c.cancelled = true;
        throw cancelled(head_seen, c.what);
    }
    co_return;
}

// A host name looked up by Boost.Asio's resolver, which runs getaddrinfo on a thread of Asio's
// own that nothing can interrupt: the call waits on a timer instead, which the lookup's end, the
// connect timeout, the deadline and a cancellation all end at once (a late answer is dropped).
inline awaitable<std::vector<tcp::endpoint>> resolve(call_context& c, const std::string& host,
                                                     int port, const step_bound& bound,
                                                     bool proxy) {
    struct lookup {
        explicit lookup(const net::any_io_executor& ex) : resolver(ex), wake(ex) {}
        tcp::resolver resolver;
        net::steady_timer wake;
        std::optional<beast::error_code> ec;
        std::vector<tcp::endpoint> found;
    };
    const auto pending = std::make_shared<lookup>(co_await net::this_coro::executor);
    pending->wake.expires_at(bound.expiry());
    pending->resolver.async_resolve(
        host, std::to_string(port),
        [pending](const beast::error_code& ec, const tcp::resolver::results_type& results) {
            for (const auto& entry : results) pending->found.push_back(entry.endpoint());
            pending->ec = ec;
            pending->wake.cancel();
        });
    c.timer = &pending->wake;
    (void)co_await pending->wake.async_wait(use_tuple);  // ended by any of them
    c.timer = nullptr;
    co_await check_cancelled(c, false);
    if (!pending->ec) {
        pending->resolver.cancel();
        fail(c, beast::error::timeout, bound, false);
    }
    if (*pending->ec) {
        throw transport_error(
            transport_error_kind::name_resolution,
            c.what + "cannot resolve " + (proxy ? "the proxy's host name " : "host name ") + host,
            false);
    }
    co_return std::move(pending->found);
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

    // An address is not looked up.
    std::vector<tcp::endpoint> endpoints;
    beast::error_code numeric;
    const auto address = net::ip::make_address(host, numeric);
    if (!numeric) {
        endpoints.emplace_back(address, static_cast<unsigned short>(port));
    } else {
        endpoints = co_await resolve(c, host, port, bound, proxy.has_value());
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
    bound.arm(beast::get_lowest_layer(s));  // once: informational answers do not extend it
    for (;;) {
        c.parser.emplace();
        c.parser->body_limit(boost::none);  // the decoder bounds what it keeps
        c.parser->header_limit(head_limit);
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
                  if (const std::shared_ptr<call_context> c = call.lock()) interrupt(*c);
              });
          }) {}
    stop_callback<std::function<void()>> callback;
};

// A whole answer, after the call's attempts and retries: a 2xx head and its body.
struct whole_answer {
    response_head head;
    std::string body;
};

inline awaitable<whole_answer> whole_answer_op(std::shared_ptr<call_context> c) {
    const stop_watch watch(c, c->call.stop, co_await net::this_coro::executor);
    std::array<char, piece_size> buffer;
    for (;;) {
        c->plan.begin_attempt();
        c->shared->usage->add_request(c->model);
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
        co_return whole_answer{std::move(head), std::move(body)};
    }
}

inline awaitable<chat_response> chat_op(std::shared_ptr<call_context> c) {
    const whole_answer answer = co_await whole_answer_op(c);
    chat_response reply = decode_response(answer.head, answer.body, c->shared->options, c->call);
    c->plan.stamp(reply.http);
    c->shared->usage->add(c->model, reply.usage);
    co_return reply;
}

// Another endpoint's answer, read by its codec; its usage counted where it has one.
template <class Response>
awaitable<Response> endpoint_op(std::shared_ptr<call_context> c) {
    const whole_answer answer = co_await whole_answer_op(c);
    Response reply = endpoint_reply<Response>(
        parse_reply(answer.head, answer.body, c->shared->options, c->call));
    c->plan.stamp(reply.http);
    if constexpr (requires { reply.usage.total_tokens; })
        c->shared->usage->add(c->model, reply.usage);
    co_return reply;
}

}  // namespace asio_impl

// An open stream: the call, its decoder, and the chunks decoded from the last piece of the body
// that the caller has not taken yet.
struct asio_stream_state {
    // A chat completion's stream, or another endpoint's (FIM): the arguments of a call_context.
    template <class... Call>
    explicit asio_stream_state(std::shared_ptr<asio_shared> s, Call&&... call_arguments)
        : call(std::move(s), std::forward<Call>(call_arguments)..., true),
          decoder(call.shared->options, call.call),
          idle((call.call.timeouts ? *call.call.timeouts : call.shared->options.timeouts)
                   .stream_idle) {}
    ~asio_stream_state() { asio_impl::drop(call); }

    asio_impl::call_context call;
    stream_decoder decoder;
    std::chrono::milliseconds idle;
    boost::asio::any_io_executor strand;  // every step of the stream runs there
    std::chrono::steady_clock::time_point last_event = std::chrono::steady_clock::now();
    // The chunks of the last piece not handed out yet; the slots are reused from piece to piece.
    std::vector<chat_chunk> ready;
    std::size_t ready_count = 0;
    std::size_t taken = 0;
    std::optional<chat_response> final;
    std::optional<asio_impl::stop_watch> watch;
    // Once [DONE] came: how long the rest of the body may take (it only ends the body).
    std::optional<std::chrono::steady_clock::time_point> drain_until;
    bool reported = false;
    std::array<char, asio_impl::piece_size> buffer{};

    const chat_response& response() const noexcept { return final ? *final : decoder.response(); }
    void report(const usage_info& usage) {
        if (std::exchange(reported, true)) return;
        call.shared->usage->add(call.model, usage);
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
        c.shared->usage->add_request(c.model);
        state.begin_response();
        std::optional<transport_error> failure;
        try {
            const response_head head = co_await send_request(c);
            s.decoder.head(head);
            if (state.state !=
                stream_decoder_state<void>::mode::events) {  // an error body: read it
                const http_request& r = c.plan.request();
                const step_bound bound{r.read_timeout, r.deadline, "no data"};
                // Read up to what is kept of it (the connection is not reused after a cut).
                for (std::size_t read = 0; read <= max_error_body;) {
                    const std::size_t n =
                        co_await read_body_piece(c, s.buffer.data(), s.buffer.size(), bound);
                    if (n == 0) break;
                    read += n;
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
    const bool cancelled = s.call.cancelled || cut.kind() == transport_error_kind::cancelled;
    if (cancelled || !s.call.plan.resume(s.decoder)) {
        if (cut.kind() == transport_error_kind::timeout || cancelled) {
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
    s.last_event_at();
}

// Reads the stream on, handing each chunk to `sink`, until the end (`final` set), or, when
// pulled, until `ready` holds a chunk. Pushed (stream()), a failure before this response gave a
// chunk is retried as the blocking stream() retries it, and a sink that returns false stops the
// stream; pulled (open_stream()), a failure after the head is resumed or thrown, as the blocking
// chat_stream does.
inline awaitable<void> read_on(asio_stream_state& s, function_ref<bool(const chat_chunk&)> sink,
                               bool pushed) {
    call_context& c = s.call;
    auto& state = stream_decoder_access::state(s.decoder);
    try {
        while (!s.final && (pushed || s.ready_count == 0)) {
            const http_request& r = c.plan.request();
            const bool draining = s.decoder.done();
            if (draining && !s.drain_until) {
                s.drain_until = clock::now() + drain_grace;
                if (r.deadline && *r.deadline < *s.drain_until) s.drain_until = r.deadline;
            }
            const step_bound bound =
                draining ? step_bound{drain_grace, s.drain_until, "the rest after [DONE]"}
                         : step_bound{r.read_timeout, r.deadline, "no data"};
            std::size_t n = 0;
            std::optional<transport_error> failure;
            try {
                co_await check_cancelled(c, true);
                n = co_await read_body_piece(c, s.buffer.data(), s.buffer.size(), bound);
            } catch (const transport_error& e) {
                failure.emplace(c.plan.failure(e));
            }
            if (!failure && n > 0) {
                const auto events_before = s.decoder.events();
                s.decoder.feed(std::string_view(s.buffer.data(), n), sink);
                if (s.decoder.stopped()) {  // not an error; the connection is closed
                    drop(c);
                    s.final.emplace(s.decoder.response());
                    c.plan.stamp(s.final->http);
                    s.report(s.final->usage);
                    co_return;
                }
                if (s.decoder.events() != events_before) {
                    s.last_event_at();
                    continue;
                }
                if (s.decoder.done() || clock::now() - s.last_event < s.idle) continue;
                failure.emplace(c.plan.failure(transport_error(
                    transport_error_kind::timeout,
                    "no event for " + std::to_string(s.idle.count()) +
                        " ms (timeouts.stream_idle); the server sent only comments or keep-alives",
                    true)));
            }
            if (failure && !draining) {
                if (pushed && !state.delivered && !c.cancelled) {  // as stream(): a retry
                    drop(c);
                    const auto decision = c.plan.retry_after(*failure);
                    if (!decision) throw *failure;
                    co_await wait(c, decision->wait);
                    co_await open_response(s);
                    s.last_event_at();
                } else {
                    co_await resume_or_fail(s, *failure);
                }
                continue;
            }
            if (failure) {
                drop(c);  // [DONE] had arrived: only the draining failed
            } else {      // the body ended
                release(c);
                if (!s.decoder.done() && c.plan.resume(s.decoder)) {
                    // ended before [DONE]: asked to continue
                    co_await open_response(s);
                    s.last_event_at();
                    continue;
                }
            }
            s.final.emplace(s.decoder.finish());
            c.plan.stamp(s.final->http);
            s.report(s.final->usage);
            co_return;
        }
    } catch (mistral::error& e) {
        if (e.partial_response() == nullptr) state.attach_partial(e);
        drop(c);
        s.final.emplace(s.decoder.response());
        s.report(s.final->usage);
        throw;
    }
}

// Reads until the next chunk, or the end: nullopt once [DONE] came and the body was drained.
inline awaitable<std::optional<chat_chunk>> next_op(std::shared_ptr<asio_stream_state> s) {
    if (s->taken == s->ready_count) s->taken = s->ready_count = 0;
    const auto keep = [&s](const chat_chunk& chunk) {
        if (s->ready_count == s->ready.size()) {
            s->ready.push_back(chunk);
        } else {
            s->ready[s->ready_count] = chunk;  // reuses the slot's strings and vectors
        }
        ++s->ready_count;
        return true;
    };
    const function_ref<bool(const chat_chunk&)> sink(keep);
    co_await read_on(*s, sink, false);
    if (s->taken == s->ready_count) co_return std::nullopt;
    co_return std::optional<chat_chunk>(s->ready[s->taken++]);
}

inline awaitable<asio_stream> open_op(std::shared_ptr<asio_stream_state> s) {
    s->watch.emplace(std::shared_ptr<call_context>(s, &s->call), s->call.call.stop,
                     co_await net::this_coro::executor);
    co_await open_response(*s);
    s->last_event_at();
    co_return asio_stream(std::move(s));
}

// stream(): the stream opened and read to its end, every chunk handed to on_chunk.
inline awaitable<chat_response> stream_op(std::shared_ptr<asio_stream_state> s,
                                          std::function<bool(const chat_chunk&)> on_chunk) {
    s->watch.emplace(std::shared_ptr<call_context>(s, &s->call), s->call.call.stop,
                     co_await net::this_coro::executor);
    co_await open_response(*s);
    s->last_event_at();
    const function_ref<bool(const chat_chunk&)> sink(on_chunk);
    co_await read_on(*s, sink, true);
    co_return *s->final;
}

// The operation `op`, ending it on the strand: a cancellation that arrives after this point is
// for an operation that has completed, and is ignored (it must not touch the next one).
template <class T>
awaitable<T> operation_of(awaitable<T> op, std::weak_ptr<call_context> call) {
    struct ended {
        std::weak_ptr<call_context> call;
        ~ended() {
            if (const std::shared_ptr<call_context> c = call.lock()) ++c->operation;
        }
    };
    const ended guard{std::move(call)};
    co_return co_await std::move(op);
}

// Starts an operation on the call's strand. A cancellation slot bound to the handler interrupts
// the call, whatever the cancellation type (Beast's reads would honour terminal only). The
// completion runs on the handler's own associated executor (which co_spawn keeps busy until
// then), where the slot is cleared, as the thread that emits on it expects.
template <class T>
void launch(const net::any_io_executor& strand, const std::shared_ptr<call_context>& call,
            awaitable<T> op, net::any_completion_handler<void(std::exception_ptr, T)> handler) {
    const std::uint64_t serial = ++call->operation;
    const std::weak_ptr<call_context> weak = call;
    auto slot = net::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
        slot.assign([weak, strand, serial](net::cancellation_type) {
            net::post(strand, [weak, serial] {
                const std::shared_ptr<call_context> c = weak.lock();
                if (c && c->operation == serial) interrupt(*c);
            });
        });
    }
    const auto handler_executor = net::get_associated_executor(handler, strand);
    net::co_spawn(strand, operation_of(std::move(op), weak),
                  net::bind_executor(handler_executor, [slot, h = std::move(handler)](
                                                           std::exception_ptr e, T value) mutable {
                      if (slot.is_connected()) slot.clear();
                      std::move(h)(std::move(e), std::move(value));
                  }));
}

// Completes at once with what was thrown before any I/O (a usage_error), on the handler's own
// executor.
template <class T>
void refuse(const net::any_io_executor& strand,
            net::any_completion_handler<void(std::exception_ptr, T)> handler) {
    net::post(strand, net::append(std::move(handler), std::current_exception(), T{}));
}

// Starts the operation `op` makes of the call `make` builds, on a strand of its own; what `make`
// throws (a usage_error) completes the operation at once, before any I/O.
template <class T, class Make, class Op>
void start(const std::shared_ptr<asio_shared>& shared, Make&& make, Op&& op,
           net::any_completion_handler<void(std::exception_ptr, T)> handler) {
    const auto strand = net::make_strand(shared->executor);
    std::shared_ptr<call_context> context;
    try {
        context = make();
    } catch (...) {
        refuse(strand, std::move(handler));
        return;
    }
    launch(strand, context, op(context), std::move(handler));
}

// start() for a stream: its state, whose call the operation runs, on the state's strand.
template <class T, class Make, class Op>
void start_stream(const std::shared_ptr<asio_shared>& shared, Make&& make, Op&& op,
                  net::any_completion_handler<void(std::exception_ptr, T)> handler) {
    const auto strand = net::make_strand(shared->executor);
    std::shared_ptr<asio_stream_state> state;
    try {
        state = make();
    } catch (...) {
        refuse(strand, std::move(handler));
        return;
    }
    state->strand = strand;
    const std::shared_ptr<call_context> context(state, &state->call);
    launch(strand, context, op(std::move(state)), std::move(handler));
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
    const std::shared_ptr<detail::asio_shared>& shared, chat_request request, call_options call,
    boost::asio::any_completion_handler<response_signature> handler) {
    namespace impl = detail::asio_impl;
    impl::start(
        shared,
        [&] {
            return std::make_shared<impl::call_context>(shared, std::move(request), std::move(call),
                                                        false);
        },
        [](auto context) { return impl::chat_op(std::move(context)); }, std::move(handler));
}

MISTRAL_DECL void asio_client::start_stream(
    const std::shared_ptr<detail::asio_shared>& shared, chat_request request,
    std::function<bool(const chat_chunk&)> on_chunk, call_options call,
    boost::asio::any_completion_handler<response_signature> handler) {
    namespace impl = detail::asio_impl;
    impl::start_stream(
        shared,
        [&] {
            return std::make_shared<detail::asio_stream_state>(shared, std::move(request),
                                                               std::move(call));
        },
        [&](auto state) { return impl::stream_op(std::move(state), std::move(on_chunk)); },
        std::move(handler));
}

template <class Response>
void asio_client::start_endpoint(
    const std::shared_ptr<detail::asio_shared>& shared, detail::endpoint_call request,
    call_options call,
    boost::asio::any_completion_handler<void(std::exception_ptr, Response)> handler) {
    namespace impl = detail::asio_impl;
    impl::start(
        shared,
        [&] {
            detail::prepared_call prepared =
                detail::prepare_endpoint(shared->options, request, call);
            return std::make_shared<impl::call_context>(
                shared, std::move(prepared), std::move(call), detail::model_of(request), false);
        },
        [](auto context) { return impl::endpoint_op<Response>(std::move(context)); },
        std::move(handler));
}

MISTRAL_DECL void asio_client::start_fim_stream(
    const std::shared_ptr<detail::asio_shared>& shared, fim_request request,
    std::function<bool(const chat_chunk&)> on_chunk, call_options call,
    boost::asio::any_completion_handler<response_signature> handler) {
    namespace impl = detail::asio_impl;
    impl::start_stream(
        shared,
        [&] {
            detail::prepared_call prepared =
                detail::prepare_fim(shared->options, request, call, true);
            return std::make_shared<detail::asio_stream_state>(shared, std::move(prepared),
                                                               std::move(call), request.model);
        },
        [&](auto state) { return impl::stream_op(std::move(state), std::move(on_chunk)); },
        std::move(handler));
}

MISTRAL_DECL void asio_client::start_open_stream(
    const std::shared_ptr<detail::asio_shared>& shared, chat_request request, call_options call,
    boost::asio::any_completion_handler<stream_signature> handler) {
    namespace impl = detail::asio_impl;
    impl::start_stream(
        shared,
        [&] {
            return std::make_shared<detail::asio_stream_state>(shared, std::move(request),
                                                               std::move(call));
        },
        [](auto state) { return impl::open_op(std::move(state)); }, std::move(handler));
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
    const std::shared_ptr<detail::asio_stream_state>& state,
    boost::asio::any_completion_handler<next_signature> handler) {
    namespace impl = detail::asio_impl;
    if (!state) throw usage_error("async_next() on an empty asio_stream");
    const std::shared_ptr<impl::call_context> context(state, &state->call);
    impl::launch(state->strand, context, impl::next_op(state), std::move(handler));
}

#ifdef MISTRAL_SEPARATE_COMPILATION
MISTRAL_ASIO_ENDPOINT_STARTERS(/* defined here */)
#endif

MISTRAL_NAMESPACE_END
