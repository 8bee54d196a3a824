// examples/vision.cpp: a user message with text and images: one by URL, and one embedded as
// a base64 data URL (a file given on the command line, or a built-in 1x1 PNG).
//
//   vision [image.png]
#include <mistral/mistral.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "example_config.hpp"

namespace {

std::string base64(const std::string& bytes) {
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const auto byte = [&](std::size_t k) {
            return k < bytes.size() ? static_cast<unsigned char>(bytes[k]) : 0u;
        };
        const unsigned n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += digits[n >> 18 & 63];
        out += digits[n >> 12 & 63];
        out += i + 1 < bytes.size() ? digits[n >> 6 & 63] : '=';
        out += i + 2 < bytes.size() ? digits[n & 63] : '=';
    }
    return out;
}

// A 1x1 transparent PNG.
const char tiny_png_base64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg"
    "==";

}  // namespace

int main(int argc, char** argv) {
    std::string embedded = std::string("data:image/png;base64,") + tiny_png_base64;
    if (argc > 1) {
        std::ifstream file(argv[1], std::ios::binary);
        if (!file) {
            std::cerr << "cannot read " << argv[1] << "\n";
            return 1;
        }
        const std::string bytes{std::istreambuf_iterator<char>(file),
                                std::istreambuf_iterator<char>()};
        embedded = "data:image/png;base64," + base64(bytes);
    }
    mistral::client client{example::options()};
    const mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::user_message{
            .content =
                std::vector<mistral::content_chunk>{
                    mistral::text_chunk{.text = "What do these two images show?"},
                    // An image by URL (the object form can say how much detail to use)...
                    mistral::image_url_chunk{
                        .image_url =
                            mistral::image_url{
                                .url = "https://upload.wikimedia.org/wikipedia/commons/4/"
                                       "47/PNG_transparency_demonstration_1.png",
                                .detail = mistral::image_detail::low}},
                    // ...and one embedded in the request as a data URL (the string form).
                    mistral::image_url_chunk{.image_url = embedded},
                }}},
    };
    try {
        std::cout << client.chat(request).text() << "\n";
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
