// examples/ocr.cpp: read a document (POST /v1/ocr): each page as markdown, with its images and
// tables. A PDF or an image by URL, a local file as a base64 data: URL, or an uploaded file by id.
//
//   ocr [https://.../document.pdf]
//
// Without MISTRAL_API_KEY it talks to the bundled fake server (see example_config.hpp), which
// reads any PDF as three short pages.
#include <mistral/mistral.hpp>

#include <iostream>
#include <string>

#include "example_config.hpp"

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    const std::string url = argc > 1 ? argv[1] : "https://arxiv.org/pdf/2201.04234";
    try {
        const mistral::ocr_response response =
            client.ocr({.model = "mistral-ocr-latest",
                        .document = mistral::document_url(url),
                        .table_format = "markdown"});  // tables apart from the page's text
        for (const mistral::ocr_page& page : response.pages) {
            std::cout << "--- page " << page.index << " (" << page.images.size() << " images, "
                      << page.tables.size() << " tables)\n"
                      << page.markdown << "\n";
            for (const mistral::ocr_table& table : page.tables)
                std::cout << "[" << table.id << "]\n" << table.content << "\n";
        }
        std::cout << "[" << response.usage_info.pages_processed << " pages processed]\n";
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
