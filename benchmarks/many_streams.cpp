// benchmarks/many_streams.cpp: N streams open at once, every one checked to the last token, in one
// of two ways: on one io_context thread with asio_client (`asio`), or with stream_async, one
// thread per call, over the default transport (`threads`). Prints one JSON line: the streams, how
// many were right, the threads the process peaked at, its CPU seconds and peak RSS.
//
//   many_streams asio|threads N URL [chunks]      (URL: a running many_streams_server)
#include <sys/resource.h>

#include <mistral/asio.hpp>
#include <mistral/mistral.hpp>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string expected(int chunks) {
    std::string out;
    for (int i = 0; i < chunks; ++i) out += "w" + std::to_string(i) + " ";
    return out;
}

int threads_now() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: many_streams asio|threads N URL [chunks]\n";
        return 2;
    }
    const std::string mode = argv[1];
    const int streams = std::atoi(argv[2]);
    const int chunks = argc > 4 ? std::atoi(argv[4]) : 20;
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);

    mistral::client_options options;
    options.api_key = "bench";
    options.base_url = argv[3];
    options.transport.proxy.use_environment = false;
    options.transport.max_idle_connections = 0;  // N connections, as N users would have
    options.retry = mistral::retry_policy::none();
    const mistral::chat_request request{.model = "m", .messages = {mistral::user("Count to 20")}};
    const std::string want = expected(chunks);

    std::atomic<int> right{0};
    std::atomic<int> peak_threads{threads_now()};
    const auto start = std::chrono::steady_clock::now();
    if (mode == "asio") {
        boost::asio::io_context io(1);
        mistral::asio_client client{io.get_executor(), options};
        for (int i = 0; i < streams; ++i) {
            client.async_stream(
                request, [](const mistral::chat_chunk&) {},
                [&](std::exception_ptr e, mistral::chat_response r) {
                    if (!e && r.text() == want) ++right;
                });
        }
        io.run();
        peak_threads = std::max(peak_threads.load(), threads_now());
    } else {
        mistral::client client{options};
        std::vector<std::future<mistral::chat_response>> calls;
        calls.reserve(static_cast<std::size_t>(streams));
        for (int i = 0; i < streams; ++i)
            calls.push_back(client.stream_async(request, [](const mistral::chat_chunk&) {}));
        peak_threads = std::max(peak_threads.load(), threads_now());
        for (auto& call : calls) {
            try {
                if (call.get().text() == want) ++right;
            } catch (const std::exception&) {}
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::cout << R"({"mode":")" << mode << R"(","streams":)" << streams << R"(,"right":)" << right
              << R"(,"threads":)" << peak_threads << R"(,"cpu_s":)" << cpu << R"(,"wall_s":)"
              << wall << R"(,"peak_rss_mib":)" << static_cast<double>(usage.ru_maxrss) / 1024
              << "}\n";
    return right == streams ? 0 : 1;
}
