// tests/second_translation_unit.cpp: A second translation unit that includes every public header,
// linked into test_integration: a function defined in a header without `inline` would be defined
// twice and fail to link.
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

namespace mistral::test {

std::string second_translation_unit_request() {
    return to_json(chat_request{.model = "m", .messages = {user("from another translation unit")}});
}

}  // namespace mistral::test
