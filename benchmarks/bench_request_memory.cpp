// benchmarks/bench_request_memory.cpp: what sending a large request costs in
// memory. A request whose one user message holds N MB of text is sent with chat(), first through a
// transport that discards it (the client's own cost), then with the default transport to a loopback
// server that reads the body and throws it away. Reported: the most heap held at once during the
// call, counting the request itself, as a multiple of the message's size (target: at most about 2x:
// the request and its serialized body, nothing else).
//
//   build/release/benchmarks/bench_request_memory [megabytes]   (default 200)
#include <mistral/mistral.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "../tests/support/allocation_counter.hpp"
#include "../tests/support/raw_server.hpp"

namespace {

constexpr std::string_view body =
    R"({"id":"m","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";

// Reads a request's head, then its body into a small buffer, discarding it.
void discard_and_answer(int s) {
    std::string head;
    char buffer[65536];
    while (head.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::recv(s, buffer, sizeof buffer, 0);
        if (n <= 0) return;
        head.append(buffer, static_cast<std::size_t>(n));
    }
    const auto at = head.find("Content-Length: ");
    const std::size_t length = at == std::string::npos ? 0 : std::stoull(head.substr(at + 16));
    std::size_t received = head.size() - (head.find("\r\n\r\n") + 4);
    while (received < length) {
        const auto n = ::recv(s, buffer, sizeof buffer, 0);
        if (n <= 0) return;
        received += static_cast<std::size_t>(n);
    }
    mistral::test::raw_server::write_all(
        s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
}

struct discarding_transport {
    void send(const mistral::http_request&, mistral::response_handler& handler) {
        handler.on_head({200, {{"Content-Type", "application/json"}}});
        handler.on_body(body);
    }
};

template <class Client>
double peak_ratio(Client& client, const mistral::chat_request& request, std::size_t size) {
    const std::size_t before = mistral::test::allocated_bytes();  // the request is held already
    mistral::test::reset_peak_bytes();
    client.chat(request);
    const std::size_t peak = mistral::test::peak_bytes();
    // What the call held at its peak beyond what was held before, plus the request itself.
    return static_cast<double>(peak - before + size) / static_cast<double>(size);
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t megabytes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200;
    if (megabytes == 0) {
        std::fprintf(stderr, "usage: %s [megabytes > 0]\n", argv[0]);
        return 2;
    }
    const std::size_t size = megabytes << 20;
    const std::string probe(100, 'x');
    if (mistral::test::allocated_bytes() < probe.size()) {
        std::printf("this allocator does not report sizes: nothing to measure\n");
        return 0;
    }
    mistral::chat_request request{.model = "mistral-small-latest"};
    request.messages.push_back(mistral::user(std::string(size, 'a')));

    mistral::client_options options;
    options.api_key = "benchmark";
    options.retry = mistral::retry_policy::none();
    mistral::basic_client<discarding_transport> engine_only{options, discarding_transport{}};
    const double engine = peak_ratio(engine_only, request, size);

    mistral::test::raw_server server(discard_and_answer);
    options.base_url = server.base_url();
    options.transport.proxy.use_environment = false;
    mistral::client over_loopback{options};
    const double loopback = peak_ratio(over_loopback, request, size);

    std::printf("request with a %zu MB message: peak heap during chat(), request included\n",
                megabytes);
    std::printf("  client only (a transport that discards): %.2fx the message\n", engine);
    std::printf("  default transport over loopback:        %.2fx the message\n", loopback);
    return 0;
}
