// benchmarks/bench_sse.cpp: SSE parsing throughput on realistic chat-completion traffic, fed in
// pieces of 16 KiB (libcurl's write size), 64 bytes and 1 byte; beside a plain memchr pass over the
// same bytes (the ceiling: it only finds line ends) and a naive std::getline parser (the floor).
//
//   build/benchmarks/bench_sse                       # the figures
//   python3 benchmarks/sse_report.py build/benchmarks/bench_sse   # with ratios, as in README
#include <benchmark/benchmark.h>
#include <mistral/sse.hpp>

#include <cstring>
#include <sstream>
#include <string>

#include "../tests/support/allocation_counter.hpp"
#include "corpus.hpp"

namespace {

const std::string& corpus() {
    static const std::string bytes = mistral::bench::sse_corpus(std::size_t{16} << 20);
    return bytes;
}

void report(benchmark::State& state, std::size_t events, std::size_t allocations) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().size()));
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
    state.counters["allocs/event"] =
        events == 0 ? 0.0 : static_cast<double>(allocations) / static_cast<double>(events);
}

void BM_sse_parser(benchmark::State& state) {
    const std::string& bytes = corpus();
    const auto piece = static_cast<std::size_t>(state.range(0));
    mistral::sse::parser parser;
    std::size_t events = 0;
    std::size_t data_bytes = 0;
    auto on_event = [&](const mistral::sse::event& e) {
        ++events;
        data_bytes += e.data.size();
    };
    auto parse_all = [&] {
        for (std::size_t at = 0; at < bytes.size(); at += piece) {
            parser.feed(std::string_view(bytes).substr(at, piece), on_event);
        }
    };
    parse_all();  // warm-up: buffers reach their working size
    events = 0;
    const auto allocations_before = mistral::test::allocation_count();
    for (auto _ : state) {
        parse_all();
        benchmark::DoNotOptimize(data_bytes);
    }
    report(state, events, mistral::test::allocation_count() - allocations_before);
}

void BM_memchr_line_ends(benchmark::State& state) {
    const std::string& bytes = corpus();
    const auto piece = static_cast<std::size_t>(state.range(0));
    std::size_t lines = 0;
    for (auto _ : state) {
        for (std::size_t at = 0; at < bytes.size(); at += piece) {
            const char* p = bytes.data() + at;
            const char* end = p + std::min(piece, bytes.size() - at);
            while (const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
                ++lines;
                p = static_cast<const char*>(hit) + 1;
            }
        }
        benchmark::DoNotOptimize(lines);
    }
    report(state, lines / 2, 0);  // two line ends per event
}

// What a hand-rolled client typically does: append, getline, one std::string per line.
void BM_getline_parser(benchmark::State& state) {
    const std::string& bytes = corpus();
    const auto piece = static_cast<std::size_t>(state.range(0));
    std::size_t events = 0;
    const auto allocations_before = mistral::test::allocation_count();
    for (auto _ : state) {
        std::string pending;
        std::string data;
        for (std::size_t at = 0; at < bytes.size(); at += piece) {
            pending.append(bytes, at, piece);
            std::istringstream in(pending);
            std::string line;
            std::size_t consumed = 0;
            while (std::getline(in, line) && !in.eof()) {
                consumed += line.size() + 1;
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty()) {
                    if (!data.empty()) ++events;
                    data.clear();
                } else if (line.rfind("data:", 0) == 0) {
                    data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
                }
            }
            pending.erase(0, consumed);
        }
        benchmark::DoNotOptimize(events);
    }
    report(state, events, mistral::test::allocation_count() - allocations_before);
}

}  // namespace

BENCHMARK(BM_sse_parser)->Arg(16384)->Arg(64)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_memchr_line_ends)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_getline_parser)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
