// examples/byte_fed.cpp: the byte-fed core driven by I/O of your own, as a Qt, Unreal,
// libcurl-multi or epoll program does: prepare_request() says what to send, stream_decoder takes
// the body's bytes in whatever pieces they come and gives the chunks, the folded reply and the same
// typed errors as client.stream(). Here the I/O is a plain POSIX socket and a few lines of HTTP/1.1
// (http:// only, so that nothing hides where the bytes go); in your program it is your event
// loop's, and only the three marked lines touch mistral-cpp.
//
//   byte_fed ["question"]     (against the fake server, or MISTRAL_BASE_URL if it is http://)
#include <mistral/core.hpp>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include "example_config.hpp"

namespace {

// A connected socket to the URL's host (POSIX; your event loop's own in a real program).
int connect_to(const mistral::url_parts& url) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found) != 0)
        throw std::runtime_error("cannot resolve " + url.host);
    const int s = ::socket(found->ai_family, SOCK_STREAM, 0);
    const bool connected = s >= 0 && ::connect(s, found->ai_addr, found->ai_addrlen) == 0;
    ::freeaddrinfo(found);
    if (!connected) throw std::runtime_error("cannot connect to " + url.host);
    return s;
}

// Reads from the socket into `buffer` until it holds `needed` bytes (or the peer closes).
bool fill(int s, std::string& buffer, std::size_t needed) {
    char piece[4096];
    while (buffer.size() < needed) {
        const auto n = ::recv(s, piece, sizeof piece, 0);
        if (n <= 0) return false;
        buffer.append(piece, static_cast<std::size_t>(n));
    }
    return true;
}

// The response head: status and headers ("HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n").
mistral::response_head read_head(int s, std::string& buffer) {
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(s, buffer, buffer.size() + 1)) throw std::runtime_error("connection closed");
    }
    mistral::response_head head{std::stoi(buffer.substr(9, 3)), {}};
    for (std::size_t at = buffer.find("\r\n") + 2; at < end;) {
        const std::size_t eol = buffer.find("\r\n", at);
        const std::string line = buffer.substr(at, eol - at);
        const std::size_t colon = line.find(':');
        head.headers.add(line.substr(0, colon),
                         line.substr(line.find_first_not_of(' ', colon + 1)));
        at = eol + 2;
    }
    buffer.erase(0, end + 4);
    return head;
}

}  // namespace

int main(int argc, char** argv) {
    const mistral::client_options options = example::options();
    mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::user(argc > 1 ? argv[1] : "Write a haiku about C++")},
        .stream = true,
    };
    try {
        // 1. What to send: URL, headers (the key among them) and body, validated as chat() does.
        const mistral::http_request http = mistral::prepare_request(options, request);
        const mistral::url_parts url = mistral::parse_url(http.url);
        if (url.scheme != "http") throw std::runtime_error("this example speaks http:// only");

        const int s = connect_to(url);
        std::string out = http.method + " " + url.target + " HTTP/1.1\r\nHost: " + url.host +
                          "\r\nContent-Length: " + std::to_string(http.body.size()) +
                          "\r\nConnection: close\r\n";
        for (const auto& h : http.headers) out += h.name + ": " + h.value + "\r\n";
        out += "\r\n" + http.body;
        ::send(s, out.data(), out.size(), 0);

        // 2. The response, as your I/O receives it: the head, then pieces of the body.
        mistral::stream_decoder decoder{options};
        std::string buffer;
        decoder.head(read_head(s, buffer));
        const auto on_chunk = [](const mistral::chat_chunk& c) {
            std::cout << c.text() << std::flush;
        };
        // The fake server and the API send the body chunked: "<hex size>\r\n<bytes>\r\n"... "0".
        for (;;) {
            std::size_t eol;
            while ((eol = buffer.find("\r\n")) == std::string::npos) {
                if (!fill(s, buffer, buffer.size() + 1)) break;
            }
            if (eol == std::string::npos) break;  // closed: finish() says what is missing
            const std::size_t size = std::stoul(buffer.substr(0, eol), nullptr, 16);
            if (size == 0) break;
            if (!fill(s, buffer, eol + 2 + size + 2)) break;
            decoder.feed(std::string_view(buffer).substr(eol + 2, size), on_chunk);
            buffer.erase(0, eol + 2 + size + 2);
        }
        ::close(s);

        // 3. The end of the body: the folded reply, or the error a cut or refused stream is.
        const mistral::chat_response reply = decoder.finish();
        std::cout << "\n[" << reply.usage.total_tokens << " tokens, finish reason: "
                  << reply.choices.at(0).finish_reason.value_or("none") << "]\n";
    } catch (const mistral::error& e) {
        std::cerr << "\nerror: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "\nerror: " << e.what() << '\n';
        return 1;
    }
}
