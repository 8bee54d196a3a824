// examples/structured_output.cpp: structured_output: ask for JSON that follows a schema, and read
// the reply into a C++ struct.
//
//   structured_output ["a request for a book"]
#include <mistral/mistral.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "example_config.hpp"

namespace library {

struct book {
    std::string title;
    std::vector<std::string> authors;
    int year = 0;
};

// Boost.JSON conversion for the struct (found by argument-dependent lookup).
book tag_invoke(boost::json::value_to_tag<book>, const boost::json::value& v) {
    const auto& o = v.as_object();
    return {boost::json::value_to<std::string>(o.at("title")),
            boost::json::value_to<std::vector<std::string>>(o.at("authors")),
            boost::json::value_to<int>(o.at("year"))};
}

}  // namespace library

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    // A strict schema: every object needs "additionalProperties": false.
    const mistral::json_schema schema{
        .name = "book",
        .description = "A book and its authors",
        .schema = boost::json::parse(R"({
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "authors": {"type": "array", "items": {"type": "string"}},
                "year": {"type": "integer"}
            },
            "required": ["title", "authors", "year"],
            "additionalProperties": false})")
                      .as_object(),
        .strict = true,
    };
    const mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::user(argc > 1 ? argv[1]
                                            : "Name a classic science-fiction novel, like Dune.")},
        .response_format = mistral::json_schema_format(schema),
    };
    try {
        const std::string reply = client.chat(request).text();
        const auto b = boost::json::value_to<library::book>(boost::json::parse(reply));
        std::cout << "title:   " << b.title << "\nauthors:";
        for (const auto& a : b.authors) std::cout << " [" << a << "]";
        std::cout << "\nyear:    " << b.year << "\n";
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {  // the reply did not fit the struct
        std::cerr << "unexpected reply: " << e.what() << "\n";
        return 1;
    }
}
