// examples/custom_transport.cpp: plug your own transport into the client. This
// one logs every exchange (without the Authorization header) and hands the work to another
// transport, here the default one; a transport over libcurl, Boost.Beast or WinHTTP has the same
// shape: one send().
#include <mistral/mistral.hpp>

#include <chrono>
#include <iostream>

#include "example_config.hpp"

template <mistral::transport Inner>
class logging_transport {
public:
    explicit logging_transport(Inner inner) : inner_(std::move(inner)) {}

    void send(const mistral::http_request& request, mistral::response_handler& handler) {
        std::cerr << "-> " << request.method << " " << request.url << " (" << request.body.size()
                  << " bytes";
        for (const auto& h : request.headers) {
            if (!mistral::iequals(h.name, "authorization"))
                std::cerr << ", " << h.name << ": " << h.value;
        }
        std::cerr << ")\n";
        // Wraps the client's handler to count what comes back.
        struct counting_handler final : mistral::response_handler {
            mistral::response_handler& next;
            std::size_t bytes = 0;
            int status = 0;
            explicit counting_handler(mistral::response_handler& n) : next(n) {}
            bool on_head(mistral::response_head head) override {
                status = head.status;
                return next.on_head(std::move(head));
            }
            bool on_body(std::string_view piece) override {
                bytes += piece.size();
                return next.on_body(piece);
            }
        } counting{handler};
        const auto start = std::chrono::steady_clock::now();
        inner_.send(request, counting);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        std::cerr << "<- " << counting.status << ", " << counting.bytes << " bytes in " << ms
                  << " ms\n";
    }

private:
    Inner inner_;
};

int main() {
    const mistral::client_options options = example::options();
    mistral::basic_client<logging_transport<mistral::httplib_transport>> client{
        options, logging_transport{mistral::httplib_transport{options.transport}}};
    try {
        const auto reply =
            client.chat({.model = example::model(), .messages = {mistral::user("Say hello.")}});
        std::cout << reply.text() << "\n";
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
