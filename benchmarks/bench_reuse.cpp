// benchmarks/bench_reuse.cpp: sequential non-streaming requests over loopback: one keep-alive
// connection reused by every call (the default) against a new connection for each call (no idle
// connection kept).
//
//   build/release/benchmarks/bench_reuse
#include <benchmark/benchmark.h>
#include <mistral/mistral.hpp>

#include "../tests/support/fake_server.hpp"

namespace {

void BM_sequential_chat(benchmark::State& state) {
    const bool keep_alive = state.range(0) == 1;
    mistral::test::fake_server server;
    mistral::client_options options;
    options.api_key = "benchmark";
    options.base_url = server.base_url();
    options.transport.proxy.use_environment = false;
    options.transport.max_idle_connections = keep_alive ? 8 : 0;
    mistral::client client{options};
    const mistral::chat_request request{
        .model = "m", .messages = {mistral::user("What is the capital of France?")}};
    for (auto _ : state) benchmark::DoNotOptimize(client.chat(request));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetLabel(keep_alive ? "keep-alive" : "new connection per request");
    state.counters["connections"] = static_cast<double>(server.connection_count());
}

}  // namespace

BENCHMARK(BM_sequential_chat)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();
