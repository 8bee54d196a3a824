// benchmarks/sse_server.cpp: A loopback server for the end-to-end streaming benchmark: every
// request gets one chat completion stream of N realistic chunks, written as fast as the socket
// takes them (the last content chunk carries finish_reason and usage, then `data: [DONE]`).
// Deliberately minimal, so the clients, not the server, are what is measured.
//
//   sse_server --chunks 100000 [--port 0]     prints "listening on http://127.0.0.1:<port>"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "corpus.hpp"

namespace {

bool write_all(int s, const char* data, std::size_t size) {
    while (size > 0) {
        const auto n = ::send(s, data, size, MSG_NOSIGNAL);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

void serve(int s, std::size_t chunks) {
    // Read the request head and its body.
    std::string request;
    char buffer[8192];
    for (;;) {
        const auto head_end = request.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            const auto at = request.find("ontent-Length: ");
            const std::size_t body =
                at == std::string::npos ? 0 : std::strtoul(request.c_str() + at + 15, nullptr, 10);
            if (request.size() >= head_end + 4 + body) break;
        }
        const auto n = ::recv(s, buffer, sizeof buffer, 0);
        if (n <= 0) return;
        request.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string id = "cmpl-e5cc70bb28c444948073e77776eb30ef";
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: "
        "no-cache\r\nConnection: close\r\n\r\n";
    out +=
        "data: " + std::string(R"({"id":")") + id +
        R"(","object":"chat.completion.chunk","created":1733320000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})" +
        "\n\n";
    static const char* const words[] = {" the", " Paris",     " café",  " 東京",
                                        " 🎉",   " streaming", " token", " C++"};
    for (std::size_t i = 0; i + 2 < chunks; ++i) {  // with the first and the last: N chunks
        out += "data: " + mistral::bench::content_chunk_json(id, words[i % 8]) + "\n\n";
        if (out.size() > (std::size_t{256} << 10)) {
            if (!write_all(s, out.data(), out.size())) return;
            out.clear();
        }
    }
    out += "data: " + mistral::bench::final_chunk_json(id, chunks) + "\n\ndata: [DONE]\n\n";
    write_all(s, out.data(), out.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t chunks = 100000;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--chunks") == 0) chunks = std::strtoul(argv[i + 1], nullptr, 10);
        if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    }
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 64) != 0) {
        std::perror("sse_server");
        return 1;
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("listening on http://127.0.0.1:%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    for (;;) {
        const int s = ::accept(listener, nullptr, nullptr);
        if (s < 0) continue;
        std::thread([s, chunks] {
            serve(s, chunks);
            ::shutdown(s, SHUT_WR);
            char drain[256];
            while (::recv(s, drain, sizeof drain, 0) > 0) {}
            ::close(s);
        }).detach();
    }
}
