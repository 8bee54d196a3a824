// tests/test_asio.cpp: asio_client over loopback, against the fake server and raw sockets: every
// operation with every completion token, keep-alive reuse, retries and Retry-After, resets, cut
// streams and resumes, error events, stalls and the total timeout, cancellation at every phase
// (by a cancellation slot and by call_options::stop), TLS, a proxy tunnel, and many streams on
// one thread. Run under AddressSanitizer and ThreadSanitizer in CI.
#include <mistral/asio.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/black_hole.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/forward_proxy.hpp"
#include "support/loopback.hpp"
#include "support/raw_server.hpp"
#include "support/slow_lookup.hpp"
#include "support/test_pki.hpp"

namespace net = boost::asio;
using namespace mistral;
using namespace mistral::test;
using namespace std::chrono_literals;

namespace {

// Runs a coroutine on its own io_context (one thread: the caller's) to its end, rethrowing what
// it threw.
template <class T>
T run(net::awaitable<T> work) {
    net::io_context io;
    std::exception_ptr failure;
    std::optional<T> result;
    net::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e) result.emplace(std::move(value));
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
}

// Runs op(slot) on an io_context of its own, and emits a cancellation of `type` on that slot after
// `after` (unless the operation ended first). The signal is destroyed before the io_context, so
// that no cancellation handler outlives the services it refers to.
template <class T>
T run_cancelled(std::chrono::milliseconds after,
                const std::function<net::awaitable<T>(net::cancellation_slot)>& op,
                net::cancellation_type type = net::cancellation_type::terminal) {
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer timer(io, after);
    timer.async_wait([&](boost::system::error_code ec) {
        if (!ec) signal.emit(type);
    });
    std::exception_ptr failure;
    std::optional<T> result;
    net::co_spawn(io, op(signal.slot()), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e) result.emplace(std::move(value));
        timer.cancel();
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
}

// How an operation ended, and when: for the operations whose io_context runs on after them.
using ended = std::pair<transport_error_kind, std::chrono::steady_clock::duration>;

template <class T>
net::awaitable<ended> time_to_error(net::awaitable<T> operation) {
    const auto start = std::chrono::steady_clock::now();
    transport_error_kind kind = transport_error_kind::other;
    try {
        (void)co_await std::move(operation);
    } catch (const transport_error& e) {
        kind = e.kind();
    }
    co_return std::make_pair(kind, std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("asio: chat, stream and a pulled stream, on one keep-alive connection") {
    fake_server server;
    const auto result = run([&]() -> net::awaitable<std::string> {
        asio_client client{co_await net::this_coro::executor, options_for(server.base_url())};
        const chat_request ask = question();
        const chat_response r = co_await client.async_chat(ask, net::use_awaitable);
        std::string streamed;
        const chat_response s = co_await client.async_stream(
            ask, [&](const chat_chunk& c) { streamed += c.text(); }, net::use_awaitable);
        CHECK(streamed == s.text());
        asio_stream pulled = co_await client.async_open_stream(ask, net::use_awaitable);
        std::string text;
        while (std::optional<chat_chunk> c = co_await pulled.async_next(net::use_awaitable))
            text += c->text();
        CHECK(text == r.text());
        CHECK(pulled.response().text() == r.text());
        CHECK(pulled.response().usage.total_tokens > 0);
        const usage_totals u = client.usage();
        CHECK(u.requests == 3);
        CHECK(u.total_tokens ==
              r.usage.total_tokens + s.usage.total_tokens + pulled.response().usage.total_tokens);
        co_return r.text();
    }());
    CHECK(result == "The capital of France is Paris.");
    CHECK(server.connection_count() == 1);  // every call reused the first connection
}

TEST_CASE("asio: dialect openai_compatible, as the blocking client speaks it") {
    fake_server_options openai;
    openai.openai_compatible = true;  // refuses random_seed, sends reasoning_content
    fake_server server(openai);
    client_options o = options_for(server.base_url());
    o.api_key = "";  // none needed, none sent
    o.dialect = dialect::openai_compatible;
    const auto thinking = run([&]() -> net::awaitable<std::string> {
        asio_client client{co_await net::this_coro::executor, o};
        chat_request ask = question();
        ask.model = "magistral-small";
        ask.random_seed = 1;
        const chat_response r = co_await client.async_chat(ask, net::use_awaitable);
        std::string streamed;
        const chat_response s = co_await client.async_stream(
            ask,
            [&](const chat_chunk& c) {
                for (const auto& choice : c.choices) streamed += choice.delta.thinking();
            },
            net::use_awaitable);
        CHECK(streamed == r.choices.at(0).message.thinking());
        CHECK(s.choices.at(0).message.thinking() == streamed);
        CHECK(s.text() == r.text());
        CHECK(s.usage.total_tokens == r.usage.total_tokens);  // asked for, so sent
        co_return streamed;
    }());
    CHECK(thinking == "The question is short, so a short answer will do.");
    for (const auto& sent : server.requests()) CHECK(sent.headers.count("Authorization") == 0);
}

TEST_CASE("asio: the endpoints beside chat, on one keep-alive connection") {
    fake_server server;
    const auto count = run([&]() -> net::awaitable<int> {
        asio_client client{co_await net::this_coro::executor, options_for(server.base_url())};
        // Named requests: GCC 12 refuses a braced temporary inside co_await.
        const fim_request gap{
            .model = "codestral-latest", .prompt = "def add(a, b):", .suffix = "    return c"};
        const chat_response filled = co_await client.async_fim(gap, net::use_awaitable);
        CHECK(filled.text() == "\n    c = a + b\n");
        std::string streamed;
        const chat_response folded = co_await client.async_fim_stream(
            gap, [&](const chat_chunk& c) { streamed += c.text(); }, net::use_awaitable);
        CHECK(streamed == filled.text());
        CHECK(folded.text() == streamed);

        const embedding_request texts{
            .model = "mistral-embed", .input = {"one cat", "two dogs"}, .output_dimension = 8};
        const embedding_response vectors =
            co_await client.async_embeddings(texts, net::use_awaitable);
        REQUIRE(vectors.data.size() == 2);
        CHECK(vectors.data[1].embedding.size() == 8);
        const model_list models = co_await client.async_models(net::use_awaitable);
        CHECK(models.data.size() == 6);
        const model_card card = co_await client.async_model("codestral-latest", net::use_awaitable);
        CHECK(card.capabilities.completion_fim);
        const moderation_request said{.model = "mistral-moderation-latest",
                                      .input = {"fine", "I will kill you"}};
        const moderation_response verdicts =
            co_await client.async_moderations(said, net::use_awaitable);
        REQUIRE(verdicts.results.size() == 2);
        CHECK(verdicts.results[1].categories.at("violence_and_threats"));
        const chat_moderation_request exchange{.model = "mistral-moderation-latest",
                                               .input = {user("hi"), assistant("steal it")}};
        const moderation_response chat_verdict =
            co_await client.async_chat_moderations(exchange, net::use_awaitable);
        CHECK(chat_verdict.results.at(0).categories.at("dangerous_and_criminal_content"));
        const ocr_request document{.model = "mistral-ocr-latest",
                                   .document = document_url("https://example.com/a.pdf")};
        const ocr_response pages = co_await client.async_ocr(document, net::use_awaitable);
        CHECK(pages.pages.size() == 3);
        CHECK(pages.http.request_id.rfind("fake-", 0) == 0);

        // What the blocking client refuses before I/O is refused here too, typed.
        const embedding_request nothing{.model = "mistral-embed"};
        try {
            (void)co_await client.async_embeddings(nothing, net::use_awaitable);
            FAIL("an empty input was sent");
        } catch (const usage_error& e) {
            CHECK(std::string(e.what()) == "cannot send the request: input is empty");
        }
        // An API error: the typed api_error with the status, as chat's.
        try {
            (void)co_await client.async_model("made-up", net::use_awaitable);
            FAIL("an unknown model was found");
        } catch (const api_error& e) {
            CHECK(e.status() == 404);
        }
        const usage_totals u = client.usage();
        CHECK(u.per_model.at("codestral-latest").total_tokens ==
              filled.usage.total_tokens + folded.usage.total_tokens);
        CHECK(u.per_model.at("mistral-embed").prompt_tokens == vectors.usage.prompt_tokens);
        CHECK(u.per_model.at("mistral-ocr-latest").requests == 1);
        co_return static_cast<int>(u.requests);
    }());
    CHECK(count == 9);  // the refused call sent nothing
    CHECK(server.connection_count() == 1);
    CHECK(server.requests().at(1).path == "/v1/fim/completions");
    CHECK(server.requests().at(4).path == "/v1/models/codestral-latest");

    // A cancelled endpoint call ends at once, as chat's does.
    server.script(faults::stall(server, 5s));
    const auto [kind, took] = run_cancelled<ended>(100ms, [&](net::cancellation_slot slot) {
        return [](std::string base, net::cancellation_slot s) -> net::awaitable<ended> {
            asio_client client{co_await net::this_coro::executor, options_for(base)};
            const ocr_request document{.model = "mistral-ocr-latest",
                                       .document = document_url("https://x/a.pdf")};
            co_return co_await time_to_error(
                client.async_ocr(document, net::bind_cancellation_slot(s, net::use_awaitable)));
        }(server.base_url(), slot);
    });
    CHECK(kind == transport_error_kind::cancelled);
    CHECK(took < 2s);
}

TEST_CASE("asio: temporaries under co_await (GCC 12 destroys those twice in coroutines)") {
    // The arguments are taken by value and owned by the operation once it started, so a
    // temporary returned by a function in the caller's co_await expression is safe; under
    // AddressSanitizer in CI. (A braced temporary, chat_request{...}, inside a co_await is what
    // GCC 12 gets wrong: it refuses it, "array used as initializer"; name it first.)
    fake_server server;
    const std::string text = run([&]() -> net::awaitable<std::string> {
        asio_client client{co_await net::this_coro::executor, options_for(server.base_url())};
        const chat_response first =
            co_await client.async_chat(question(), call_options{}, net::use_awaitable);
        const chat_response second = co_await client.async_stream(
            question(), [](const chat_chunk&) {}, net::use_awaitable);
        co_return first.text() + second.text();
    }());
    CHECK(text == "The capital of France is Paris.The capital of France is Paris.");
}

TEST_CASE("asio: callbacks, futures and deferred operations complete as coroutines do") {
    fake_server server;
    net::io_context io;
    asio_client client{io.get_executor(), options_for(server.base_url())};
    std::string by_callback;
    client.async_chat(question(), [&](std::exception_ptr e, chat_response r) {
        CHECK(!e);
        by_callback = r.text();
    });
    std::future<chat_response> later = client.async_chat(question(), net::use_future);
    auto op = client.async_chat(question(), net::deferred);
    std::string by_deferred;
    std::move(op)([&](std::exception_ptr e, chat_response r) {
        CHECK(!e);
        by_deferred = r.text();
    });
    io.run();
    CHECK(by_callback == "The capital of France is Paris.");
    CHECK(later.get().text() == by_callback);
    CHECK(by_deferred == by_callback);
}

TEST_CASE("asio: errors are the blocking client's, typed, with their context") {
    fake_server server;
    client_options o = options_for(server.base_url());
    SECTION("a history preflight refuses, before any I/O") {
        const auto e = expect_error<usage_error>([&] {
            run([&]() -> net::awaitable<int> {
                asio_client client{co_await net::this_coro::executor, o};
                chat_request bad{.model = "m", .messages = {user("Hi"), assistant("Hello")}};
                (void)co_await client.async_chat(bad, net::use_awaitable);
                co_return 0;
            }());
        });
        CHECK(server.requests().empty());
    }
    SECTION("429 with Retry-After, then 503: retried, then the answer") {
        server.script(faults::status(429, R"({"message":"slow down"})", "application/json",
                                     {{"Retry-After", "0"}}));
        server.script(faults::status(503, R"({"message":"busy"})"));
        const chat_response r = run([&]() -> net::awaitable<chat_response> {
            asio_client client{co_await net::this_coro::executor, o};
            co_return co_await client.async_chat(question(), net::use_awaitable);
        }());
        CHECK(r.text() == "The capital of France is Paris.");
        CHECK(r.http.attempts == 3);
    }
    SECTION("400 is not retried: an api_error with the body's message") {
        server.script(
            faults::status(400, R"({"object":"error","message":"bad model","type":"invalid"})"));
        const auto e = expect_error<api_error>([&] {
            run([&]() -> net::awaitable<int> {
                asio_client client{co_await net::this_coro::executor, o};
                (void)co_await client.async_chat(question(), net::use_awaitable);
                co_return 0;
            }());
        });
        CHECK(e.status() == 400);
        CHECK(e.message() == "bad model");
        CHECK(server.requests().size() == 1);
    }
    SECTION("an error event inside a 200 stream") {
        std::vector<std::string> events = faults::text_events(1, false);
        events.push_back(R"(data: {"object":"error","message":"overloaded","raw_status_code":529})"
                         "\n\n");
        server.script(faults::raw_stream(server, events));
        const auto e = expect_error<api_error>([&] {
            run([&]() -> net::awaitable<int> {
                asio_client client{co_await net::this_coro::executor, o};
                (void)co_await client.async_stream(
                    question(), [](const chat_chunk&) {}, net::use_awaitable);
                co_return 0;
            }());
        });
        CHECK(e.status() == 529);
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text() == "w0 ");
    }
    SECTION("async_chat of a request with \"stream\": true is refused, as chat() refuses it") {
        chat_request streamed = question();
        streamed.stream = true;
        const auto e = expect_error<usage_error>([&] {
            run([&]() -> net::awaitable<int> {
                asio_client client{co_await net::this_coro::executor, o};
                (void)co_await client.async_chat(streamed, net::use_awaitable);
                co_return 0;
            }());
        });
        CHECK(std::string(e.what()).find("use stream()") != std::string::npos);
        CHECK(server.requests().empty());
    }
    SECTION("async_stream: a stream cut after its head, before any chunk, is retried") {
        std::atomic<int> connections{0};
        raw_server raw([&](int s) {
            raw_server::read_request(s);
            if (connections++ == 0) {
                raw_server::write_all(s, sse_head);  // then closed: nothing was delivered
                return;
            }
            std::string body = sse_head;
            for (const auto& e : faults::text_events(2, true)) body += chunked(e);
            raw_server::write_all(s, body + chunked(""));
        });
        const chat_response r = run([&]() -> net::awaitable<chat_response> {
            asio_client client{co_await net::this_coro::executor, options_for(raw.base_url())};
            co_return co_await client.async_stream(
                question(), [](const chat_chunk&) {}, net::use_awaitable);
        }());
        CHECK(r.text() == "w0 w1 ");
        CHECK(r.http.attempts == 2);
    }
    SECTION("async_stream: a stream with only comments after its head is retried, as stream()") {
        std::atomic<int> connections{0};
        raw_server raw([&](int s) {
            raw_server::read_request(s);
            if (connections++ == 0) {
                raw_server::write_all(s, sse_head);
                for (int i = 0; i < 100; ++i) {
                    if (!raw_server::write_all(s, chunked(": keep-alive\n\n")) ||
                        raw_server::peer_closed(s, 50))
                        return;
                }
                return;
            }
            std::string body = sse_head;
            for (const auto& e : faults::text_events(2, true)) body += chunked(e);
            raw_server::write_all(s, body + chunked(""));
        });
        client_options stalls = options_for(raw.base_url());
        stalls.timeouts.stream_idle = 300ms;
        const chat_response r = run([&]() -> net::awaitable<chat_response> {
            asio_client client{co_await net::this_coro::executor, stalls};
            co_return co_await client.async_stream(
                question(), [](const chat_chunk&) {}, net::use_awaitable);
        }());
        CHECK(r.text() == "w0 w1 ");
        CHECK(r.http.attempts == 2);
    }
    SECTION("async_stream: a callback's false stops at its chunk, though more came in one read") {
        raw_server raw([](int s) {
            raw_server::read_request(s);
            std::string events;
            for (const auto& e : faults::text_events(3, true)) events += e;
            raw_server::write_all(s, sse_head + chunked(events) + chunked(""));
        });
        std::vector<std::string> seen;
        const chat_response r = run([&]() -> net::awaitable<chat_response> {
            asio_client client{co_await net::this_coro::executor, options_for(raw.base_url())};
            co_return co_await client.async_stream(
                question(),
                [&](const chat_chunk& c) {
                    seen.push_back(c.text());
                    return false;
                },
                net::use_awaitable);
        }());
        CHECK(seen == std::vector<std::string>{"w0 "});
        CHECK(r.text() == "w0 ");
    }
    SECTION("a response head over 16 KiB: protocol_error, not retried") {
        raw_server raw([](int s) {
            raw_server::read_request(s);
            raw_server::write_all(s, "HTTP/1.1 200 OK\r\nX-Padding: " + std::string(20'000, 'x') +
                                         "\r\nContent-Length: 2\r\n\r\n{}");
        });
        const auto e = expect_error<protocol_error>([&] {
            run([&]() -> net::awaitable<int> {
                asio_client client{co_await net::this_coro::executor, options_for(raw.base_url())};
                (void)co_await client.async_chat(question(), net::use_awaitable);
                co_return 0;
            }());
        });
        CHECK(std::string(e.what()).find("larger than 16 KiB") != std::string::npos);
        CHECK(raw.connection_count() == 1);
    }
    SECTION("a stream cut without [DONE]: protocol_error with the text; resumed when asked") {
        server.script(faults::cut_after(server, 3));
        const auto e = expect_error<protocol_error>([&] {
            run([&]() -> net::awaitable<int> {
                asio_client client{co_await net::this_coro::executor, o};
                (void)co_await client.async_stream(
                    question(), [](const chat_chunk&) {}, net::use_awaitable);
                co_return 0;
            }());
        });
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text() == "The capital");
        server.script(faults::cut_after(server, 3));
        call_options resumable;
        resumable.max_resumes = 1;
        const chat_response r = run([&]() -> net::awaitable<chat_response> {
            asio_client client{co_await net::this_coro::executor, o};
            co_return co_await client.async_stream(
                question(), [](const chat_chunk&) {}, resumable, net::use_awaitable);
        }());
        CHECK(r.text() == "The capital of France is Paris.");
        CHECK(r.http.resumes == 1);
    }
}

TEST_CASE("asio: the idle and total timeouts are timers") {
    fake_server server;
    client_options o = options_for(server.base_url());
    o.retry = retry_policy::none();
    SECTION("a slow name lookup ends at the connect timeout") {
        // (The io_context runs until getaddrinfo returns, which nothing can interrupt: the time
        // is the operation's own.)
        const slow_lookup slow(1500ms);
        client_options by_name = options_for("http://localhost:" + std::to_string(server.port()));
        by_name.retry = retry_policy::none();
        by_name.timeouts.connect = 300ms;
        const auto [kind, took] = run([&]() -> net::awaitable<ended> {
            asio_client client{co_await net::this_coro::executor, by_name};
            auto chat = client.async_chat(question(), net::use_awaitable);
            co_return co_await time_to_error(std::move(chat));  // (named: see GCC 12 above)
        }());
        CHECK(kind == transport_error_kind::timeout);
        CHECK(took < 1s);
    }
    SECTION("a stalled stream") {
        server.script(faults::stall(server, 20s));
        o.timeouts.stream_idle = 300ms;
        const auto took = elapsed([&] {
            CHECK(expect_error<transport_error>([&] {
                      run([&]() -> net::awaitable<int> {
                          asio_client client{co_await net::this_coro::executor, o};
                          (void)co_await client.async_stream(
                              question(), [](const chat_chunk&) {}, net::use_awaitable);
                          co_return 0;
                      }());
                  }).kind() == transport_error_kind::timeout);
        });
        CHECK(took < 3s);
    }
    SECTION("total bounds a slow stream") {
        server.script(faults::raw_stream(server, faults::text_events(100, true), false, 50ms));
        o.timeouts.total = 400ms;
        const auto took = elapsed([&] {
            const auto e = expect_error<transport_error>([&] {
                run([&]() -> net::awaitable<int> {
                    asio_client client{co_await net::this_coro::executor, o};
                    (void)co_await client.async_stream(
                        question(), [](const chat_chunk&) {}, net::use_awaitable);
                    co_return 0;
                }());
            });
            CHECK(e.kind() == transport_error_kind::timeout);
            CHECK(e.partial_response() != nullptr);
        });
        CHECK(took < 2s);
    }
    SECTION("a stream of comments only is cut at stream_idle") {
        raw_server raw([](int s) {
            raw_server::read_request(s);
            std::string sent = sse_head;
            sent += chunked(faults::text_events(1, false).at(0));
            raw_server::write_all(s, sent);
            for (int i = 0; i < 200; ++i) {
                if (!raw_server::write_all(s, chunked(": keep-alive\n\n")) ||
                    raw_server::peer_closed(s, 50))
                    return;
            }
        });
        client_options c = options_for(raw.base_url());
        c.timeouts.stream_idle = 400ms;
        const auto took = elapsed([&] {
            CHECK(expect_error<transport_error>([&] {
                      run([&]() -> net::awaitable<int> {
                          asio_client client{co_await net::this_coro::executor, c};
                          (void)co_await client.async_stream(
                              question(), [](const chat_chunk&) {}, net::use_awaitable);
                          co_return 0;
                      }());
                  }).kind() == transport_error_kind::timeout);
        });
        CHECK(took < 3s);
    }
    SECTION("a response held open after [DONE], silent or sending comments, ends the call") {
        const bool comments = GENERATE(false, true);  // (comments: drain_grace is one bound)
        raw_server raw([comments](int s) {
            raw_server::read_request(s);
            std::string body = sse_head;
            for (const auto& e : faults::text_events(2, true)) body += chunked(e);
            raw_server::write_all(s, body);
            for (int i = 0; i < 400; ++i) {
                if ((comments && !raw_server::write_all(s, chunked(": keep-alive\n\n"))) ||
                    raw_server::peer_closed(s, 50))
                    return;
            }
        });
        const auto took = elapsed([&] {
            const chat_response r = run([&]() -> net::awaitable<chat_response> {
                asio_client client{co_await net::this_coro::executor, options_for(raw.base_url())};
                co_return co_await client.async_stream(
                    question(), [](const chat_chunk&) {}, net::use_awaitable);
            }());
            CHECK(r.text() == "w0 w1 ");
        });
        CHECK(took < 2s);
    }
}

TEST_CASE("asio: cancellation by slot or stop token ends every phase promptly") {
    SECTION("while connecting") {
        black_hole hole;
        client_options o = options_for(hole.url());
        o.timeouts.connect = 30s;
        const auto took = elapsed([&] {
            CHECK(expect_error<transport_error>([&] {
                      run_cancelled<int>(
                          200ms, [&](net::cancellation_slot slot) -> net::awaitable<int> {
                              asio_client client{co_await net::this_coro::executor, o};
                              (void)co_await client.async_chat(
                                  question(),
                                  net::bind_cancellation_slot(slot, net::use_awaitable));
                              co_return 0;
                          });
                  }).kind() == transport_error_kind::cancelled);
        });
        CHECK(took < 3s);
    }
    SECTION("while waiting for the head, by the stop token from another thread") {
        std::atomic<bool> closed{false};
        raw_server raw([&](int s) {
            raw_server::read_request(s);
            closed = raw_server::peer_closed(s, 20'000);
        });
        stop_source stop;
        call_options call;
        call.stop = stop.get_token();
        std::thread canceller([&] {
            std::this_thread::sleep_for(200ms);
            stop.request_stop();
        });
        const auto took = elapsed([&] {
            CHECK(expect_error<transport_error>([&] {
                      run([&]() -> net::awaitable<int> {
                          asio_client client{co_await net::this_coro::executor,
                                             options_for(raw.base_url())};
                          (void)co_await client.async_chat(question(), call, net::use_awaitable);
                          co_return 0;
                      }());
                  }).kind() == transport_error_kind::cancelled);
        });
        canceller.join();
        CHECK(took < 3s);
        for (int i = 0; i < 100 && !closed; ++i) std::this_thread::sleep_for(20ms);
        CHECK(closed);  // the connection was released
    }
    SECTION("during a stream, keeping what arrived") {
        fake_server server;
        server.script(faults::raw_stream(server, faults::text_events(1000, true), false, 20ms));
        const auto took = elapsed([&] {
            const auto e = expect_error<transport_error>([&] {
                run_cancelled<int>(300ms, [&](net::cancellation_slot slot) -> net::awaitable<int> {
                    asio_client client{co_await net::this_coro::executor,
                                       options_for(server.base_url())};
                    (void)co_await client.async_stream(
                        question(), [](const chat_chunk&) {},
                        net::bind_cancellation_slot(slot, net::use_awaitable));
                    co_return 0;
                });
            });
            CHECK(e.kind() == transport_error_kind::cancelled);
            REQUIRE(e.partial_response() != nullptr);
            CHECK(e.partial_response()->text().starts_with("w0 w1 "));
        });
        CHECK(took < 3s);
    }
    SECTION("while waiting for the head, by a partial or a total cancellation") {
        const auto type = GENERATE(net::cancellation_type::partial, net::cancellation_type::total);
        std::atomic<bool> closed{false};
        raw_server raw([&](int s) {
            raw_server::read_request(s);
            closed = raw_server::peer_closed(s, 20'000);
        });
        const auto took = elapsed([&] {
            CHECK(expect_error<transport_error>([&] {
                      run_cancelled<int>(
                          200ms,
                          [&](net::cancellation_slot slot) -> net::awaitable<int> {
                              asio_client client{co_await net::this_coro::executor,
                                                 options_for(raw.base_url())};
                              (void)co_await client.async_chat(
                                  question(),
                                  net::bind_cancellation_slot(slot, net::use_awaitable));
                              co_return 0;
                          },
                          type);
                  }).kind() == transport_error_kind::cancelled);
        });
        CHECK(took < 3s);
        for (int i = 0; i < 100 && !closed; ++i) std::this_thread::sleep_for(20ms);
        CHECK(closed);
    }
    SECTION("while a host name is looked up (slowly)") {
        fake_server server;
        const slow_lookup slow(1500ms);
        const client_options by_name =
            options_for("http://localhost:" + std::to_string(server.port()));
        const auto [kind, took] =
            run_cancelled<ended>(200ms, [&](net::cancellation_slot slot) -> net::awaitable<ended> {
                asio_client client{co_await net::this_coro::executor, by_name};
                auto chat = client.async_chat(
                    question(), net::bind_cancellation_slot(slot, net::use_awaitable));
                co_return co_await time_to_error(std::move(chat));
            });
        CHECK(kind == transport_error_kind::cancelled);
        CHECK(took < 1s);
        CHECK(server.requests().empty());
    }
    SECTION("a cancellation that comes after its async_next completed leaves the next alone") {
        raw_server raw([](int s) {
            raw_server::read_request(s);
            std::string events;
            for (const auto& e : faults::text_events(3, true)) events += e;
            raw_server::write_all(s, sse_head + chunked(events) + chunked(""));
        });
        net::io_context io;
        asio_client client{io.get_executor(), options_for(raw.base_url())};
        std::optional<asio_stream> stream;
        client.async_open_stream(question(), [&](std::exception_ptr e, asio_stream opened) {
            REQUIRE(!e);
            stream.emplace(std::move(opened));
        });
        io.run();
        std::vector<std::string> texts;
        const auto next = [&](net::cancellation_signal* cancel) {
            std::exception_ptr failure;
            const auto done = [&](std::exception_ptr e, std::optional<chat_chunk> chunk) {
                failure = e;
                if (chunk) texts.push_back(chunk->text());
            };
            io.restart();
            if (cancel != nullptr) {
                stream->async_next(net::bind_cancellation_slot(cancel->slot(), done));
                cancel->emit(net::cancellation_type::terminal);  // after the chunk was ready
            } else {
                stream->async_next(done);
            }
            io.run();
            return failure == nullptr;
        };
        CHECK(next(nullptr));  // w0; the rest of the read is buffered
        net::cancellation_signal late;
        CHECK(next(&late));    // w1, from the buffer: done before the cancellation is seen
        CHECK(next(nullptr));  // w2: not cancelled by the one before
        CHECK(texts == std::vector<std::string>{"w0 ", "w1 ", "w2 "});
    }
    SECTION("during a retry wait") {
        fake_server server;
        server.script(faults::status(429, "{}", "application/json", {{"Retry-After", "20"}}));
        client_options o = options_for(server.base_url());
        o.retry.max_retry_after = 60s;
        const auto took = elapsed([&] {
            CHECK(expect_error<transport_error>([&] {
                      run_cancelled<int>(
                          200ms, [&](net::cancellation_slot slot) -> net::awaitable<int> {
                              asio_client client{co_await net::this_coro::executor, o};
                              (void)co_await client.async_chat(
                                  question(),
                                  net::bind_cancellation_slot(slot, net::use_awaitable));
                              co_return 0;
                          });
                  }).kind() == transport_error_kind::cancelled);
        });
        CHECK(took < 3s);
    }
}

TEST_CASE("asio: TLS with the test CA, a wrong trust store, and a proxy tunnel") {
    fake_server tls(tls_server());
    client_options o = options_for(tls.base_url());
    o.transport.tls.ca_file = make_test_pki().ca_cert;
    const chat_response r = run([&]() -> net::awaitable<chat_response> {
        asio_client client{co_await net::this_coro::executor, o};
        co_return co_await client.async_chat(question(), net::use_awaitable);
    }());
    CHECK(r.text() == "The capital of France is Paris.");

    client_options untrusted = options_for(tls.base_url());
    untrusted.retry = retry_policy::none();
    const auto e = expect_error<transport_error>([&] {
        run([&]() -> net::awaitable<int> {
            asio_client client{co_await net::this_coro::executor, untrusted};
            (void)co_await client.async_chat(question(), net::use_awaitable);
            co_return 0;
        }());
    });
    CHECK(e.kind() == transport_error_kind::tls);
    CHECK(std::string(e.what()).find("certificate verification failed") != std::string::npos);

    forward_proxy proxy;
    o.transport.proxy.url = proxy.url();
    std::string streamed;
    (void)run([&]() -> net::awaitable<chat_response> {
        asio_client client{co_await net::this_coro::executor, o};
        co_return co_await client.async_stream(
            question(), [&](const chat_chunk& c) { streamed += c.text(); }, net::use_awaitable);
    }());
    CHECK(streamed == "The capital of France is Paris.");
    REQUIRE(!proxy.request_lines().empty());
    CHECK(proxy.request_lines().at(0).starts_with("CONNECT 127.0.0.1:"));
}

TEST_CASE("asio: 300 streams at once on one thread, every token right") {
    fake_server_options slow;
    slow.token_delay = 5ms;
    slow.threads = 64;
    fake_server server(slow);
    net::io_context io;
    client_options o = options_for(server.base_url());
    asio_client client{io.get_executor(), o};
    constexpr int streams = 300;
    int right = 0;
    int finished = 0;
    for (int i = 0; i < streams; ++i) {
        // A temporary request and a callback bound to this iteration: the arguments are the
        // operation's own once it started (GCC 12's double destruction of co_await temporaries
        // is about a caller's own coroutine, and is covered by the test above).
        client.async_stream(
            question(), [](const chat_chunk&) {},
            [&](std::exception_ptr e, chat_response r) {
                ++finished;
                if (!e && r.text() == "The capital of France is Paris.") ++right;
            });
    }
    const std::thread::id runner = std::this_thread::get_id();
    io.run();
    CHECK(std::this_thread::get_id() == runner);
    CHECK(finished == streams);
    CHECK(right == streams);
}
