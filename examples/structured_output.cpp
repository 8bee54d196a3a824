// examples/structured_output.cpp: ask for JSON that follows the schema of a C++ struct, and get
// the struct back. The schema is generated from the struct (described with Boost.Describe), and
// the reply is decoded into it; a reply that does not fit is an error naming the member.
//
//   structured_output ["a request for a book"]
#include <mistral/mistral.hpp>

#include <boost/describe.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "example_config.hpp"

namespace library {

struct book {
    std::string title;
    std::vector<std::string> authors;
    int year = 0;
    std::optional<std::string> series;  // may be absent or null in the reply
};
BOOST_DESCRIBE_STRUCT(book, (), (title, authors, year, series))

}  // namespace library

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    const mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::user(argc > 1 ? argv[1]
                                            : "Name a classic science-fiction novel, like Dune.")},
    };
    try {
        // Sends json_schema_format<library::book>: a strict schema made from the struct.
        const auto [b, response] = client.parse<library::book>(request);
        std::cout << "title:   " << b.title << "\nauthors:";
        for (const auto& a : b.authors) std::cout << " [" << a << "]";
        std::cout << "\nyear:    " << b.year << "\n";
        if (b.series) std::cout << "series:  " << *b.series << "\n";
        std::cout << "(" << response.usage.total_tokens << " tokens)\n";
    } catch (const mistral::protocol_error& e) {  // not JSON, or not a book: e.path() says where
        std::cerr << "unexpected reply: " << e.what() << "\n";
        return 1;
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
