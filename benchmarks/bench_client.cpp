// benchmarks/bench_client.cpp: hot paths of the client, without the network:
//   - decoding one typical chunk from its bytes into a chat_chunk (the per-event cost of a stream);
//   - the whole per-chunk path of stream(): SSE parsing, decoding, folding, the callback (over
//     the mock transport, so no socket);
//   - serializing a request of 100 messages (what chat() and stream() do before sending);
//   - parsing a typical non-streaming response.
// Allocations are counted (allocs/chunk) after a warm-up.
//
//   build/release/benchmarks/bench_client
#include <benchmark/benchmark.h>
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <string>

#include "../tests/support/allocation_counter.hpp"
#include "corpus.hpp"

namespace {

const std::string typical_chunk =
    mistral::bench::content_chunk_json("cmpl-e5cc70bb28c444948073e77776eb30ef", " Paris");

void BM_decode_chunk(benchmark::State& state) {
    mistral::detail::chunk_decoder<> decoder;
    decoder.decode("message", typical_chunk);  // warm-up
    const auto before = mistral::test::allocation_count();
    for (auto _ : state) {
        benchmark::DoNotOptimize(decoder.decode("message", typical_chunk));
        benchmark::DoNotOptimize(&decoder.chunk());
    }
    state.counters["allocs/chunk"] =
        static_cast<double>(mistral::test::allocation_count() - before) /
        static_cast<double>(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * typical_chunk.size()));
}

void BM_decode_and_fold_chunk(benchmark::State& state) {
    mistral::detail::chunk_decoder<> decoder;
    mistral::stream_accumulator accumulator;
    decoder.decode("message", typical_chunk);
    accumulator.add(decoder.chunk());
    const auto before = mistral::test::allocation_count();
    for (auto _ : state) {
        decoder.decode("message", typical_chunk);
        accumulator.add(decoder.chunk());
    }
    state.counters["allocs/chunk"] =
        static_cast<double>(mistral::test::allocation_count() - before) /
        static_cast<double>(state.iterations());
}

// stream() over the mock transport: the whole client-side path per chunk, minus the socket.
void BM_stream_path_per_chunk(benchmark::State& state) {
    const auto chunks = static_cast<std::size_t>(state.range(0));
    const std::string body = mistral::bench::sse_stream(chunks);
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < body.size(); at += 16384)
        pieces.push_back(body.substr(at, 16384));
    mistral::testing::mock_transport mock;
    mistral::client_options options;
    options.api_key = "benchmark";
    mistral::basic_client<mistral::testing::mock_transport> client{options, mock};
    const mistral::chat_request request{.model = "m", .messages = {mistral::user("Hi")}};
    std::size_t seen = 0;
    std::size_t allocations = 0;
    for (auto _ : state) {
        state.PauseTiming();
        mock.enqueue({.headers = {{"Content-Type", "text/event-stream"}}, .body_pieces = pieces});
        const auto before = mistral::test::allocation_count();
        state.ResumeTiming();
        client.stream(request, [&](const mistral::chat_chunk&) { ++seen; });
        allocations += mistral::test::allocation_count() - before;
    }
    state.counters["chunks/s"] =
        benchmark::Counter(static_cast<double>(seen), benchmark::Counter::kIsRate);
    state.counters["allocs/chunk"] = static_cast<double>(allocations) / static_cast<double>(seen);
    state.counters["ns/chunk"] = benchmark::Counter(
        static_cast<double>(seen), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A transport with send() only: open_stream() reads it through the helper thread.
struct push_only_mock {
    mistral::testing::mock_transport mock;
    void send(const mistral::http_request& r, mistral::response_handler& h) { mock.send(r, h); }
};

// open_stream() and a range-for over the mock: Arg 0 pulls on this thread (the mock is a
// pull_transport), Arg 1 through the helper thread of a push-only transport.
void BM_pull_path_per_chunk(benchmark::State& state) {
    const std::string body = mistral::bench::sse_stream(1000);
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < body.size(); at += 16384)
        pieces.push_back(body.substr(at, 16384));
    mistral::client_options options;
    options.api_key = "benchmark";
    const mistral::chat_request request{.model = "m", .messages = {mistral::user("Hi")}};
    push_only_mock transport;
    mistral::basic_client<mistral::testing::mock_transport> pulling{options, transport.mock};
    mistral::basic_client<push_only_mock> pushing{options, transport};
    std::size_t seen = 0;
    std::size_t allocations = 0;
    for (auto _ : state) {
        state.PauseTiming();
        transport.mock.enqueue(
            {.headers = {{"Content-Type", "text/event-stream"}}, .body_pieces = pieces});
        const auto before = mistral::test::allocation_count();
        state.ResumeTiming();
        auto stream =
            state.range(0) == 0 ? pulling.open_stream(request) : pushing.open_stream(request);
        for (const mistral::chat_chunk& chunk : stream) {
            benchmark::DoNotOptimize(&chunk);
            ++seen;
        }
        allocations += mistral::test::allocation_count() - before;
    }
    state.counters["allocs/chunk"] = static_cast<double>(allocations) / static_cast<double>(seen);
    state.counters["ns/chunk"] = benchmark::Counter(
        static_cast<double>(seen), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

mistral::chat_request conversation(std::size_t messages) {
    mistral::chat_request request{
        .model = "mistral-large-latest", .temperature = 0.3, .max_tokens = 512};
    request.messages.push_back(
        mistral::system("You are a careful assistant. Answer precisely and cite sources."));
    for (std::size_t i = 1; i < messages; ++i) {
        const std::string text =
            "Message " + std::to_string(i) +
            ": here is a paragraph of ordinary conversation text, about two hundred characters "
            "long, with accents (café, naïve), CJK (東京) and an emoji 🎉 to keep it honest.";
        if (i % 2 == 1) {
            request.messages.push_back(mistral::user(text));
        } else {
            request.messages.push_back(mistral::assistant(text));
        }
    }
    return request;
}

void BM_serialize_request_100_messages(benchmark::State& state) {
    const mistral::chat_request request = conversation(100);
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string body = mistral::to_json(request);
        bytes += body.size();
        benchmark::DoNotOptimize(body.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// The body chat() sends: written straight to text, measured first (what every call pays).
void BM_request_body_100_messages(benchmark::State& state) {
    const mistral::chat_request request = conversation(100);
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string body = mistral::detail::sendable_json(request);
        bytes += body.size();
        benchmark::DoNotOptimize(body.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_parse_response(benchmark::State& state) {
    mistral::chat_response response{
        .id = "cmpl-e5cc70bb28c444948073e77776eb30ef",
        .object = "chat.completion",
        .model = "mistral-small-latest",
        .created = 1733320000,
        .choices = {{.index = 0,
                     .message = mistral::assistant(std::string(600, 'x')),
                     .finish_reason = "stop"}},
        .usage = {.prompt_tokens = 120, .completion_tokens = 150, .total_tokens = 270}};
    const std::string text = mistral::to_json(response);
    for (auto _ : state) benchmark::DoNotOptimize(mistral::from_json<mistral::chat_response>(text));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

}  // namespace

BENCHMARK(BM_decode_chunk);
BENCHMARK(BM_decode_and_fold_chunk);
BENCHMARK(BM_stream_path_per_chunk)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pull_path_per_chunk)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_serialize_request_100_messages)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_request_body_100_messages)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_parse_response)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
