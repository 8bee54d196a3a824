// mistral/tools.hpp: toolbox, functions the model may call, made from C++ callables whose
// arguments are described structs; and the tool loop that basic_client::run_tools() runs.
// SPDX-License-Identifier: MIT
//
//     struct weather_args { std::string city; std::optional<std::string> unit; };
//     BOOST_DESCRIBE_STRUCT(weather_args, (), (city, unit))
//
//     mistral::toolbox tools;
//     tools.add("get_weather", "Current weather of a city",
//               [](const weather_args& a) { return "12C in " + a.city; });
//     mistral::chat_response final = client.run_tools(req, tools);
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include "detail/config.hpp"
#include "error.hpp"
#include "history.hpp"
#include "json.hpp"
#include "structured.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Options of basic_client::run_tools().
struct tool_loop_options {
    /// The most chat calls one run makes. When the last reply still asks for tools, run_tools
    /// throws tool_loop_error.
    int max_rounds = 8;
};

/// @cond internal (the reference shows the public names only)
namespace detail {

// The argument and result types of a tool handler: R(const Args&).
template <class F>
struct handler_signature : handler_signature<decltype(&F::operator())> {};
template <class R, class A>
struct handler_signature<R (*)(A)> {
    using args = std::remove_cvref_t<A>;
    using result = R;
};
template <class C, class R, class A>
struct handler_signature<R (C::*)(A) const> : handler_signature<R (*)(A)> {};
template <class C, class R, class A>
struct handler_signature<R (C::*)(A)> : handler_signature<R (*)(A)> {};
template <class C, class R, class A>
struct handler_signature<R (C::*)(A) const noexcept> : handler_signature<R (*)(A)> {};
template <class C, class R, class A>
struct handler_signature<R (C::*)(A) noexcept> : handler_signature<R (*)(A)> {};
template <class R, class A>
struct handler_signature<R (*)(A) noexcept> : handler_signature<R (*)(A)> {};

// What a tool sends back: text as it is, anything else as the JSON Boost.JSON makes of it.
template <class R>
std::string tool_output(R&& result) {
    if constexpr (std::is_convertible_v<R&&, std::string_view>) {
        return std::string(std::string_view(result));
    } else {
        return boost::json::serialize(boost::json::value_from(std::forward<R>(result)));
    }
}

}  // namespace detail
/// @endcond

/// Functions the model may call, each a name, a description, a JSON Schema of its arguments and
/// a C++ handler. definitions() gives the function tools for chat_request::tools; run() answers
/// one tool call of a reply; basic_client::run_tools() runs the whole loop.
///
/// A handler is `R(const Args&)`: Args a described struct (BOOST_DESCRIBE_STRUCT; its schema,
/// json_schema_of<Args>(), becomes the function's parameters) or boost::json::object (untyped:
/// then the schema is given to add()); R is std::string (sent as it is) or any type Boost.JSON
/// converts (sent as JSON). Handlers run on the thread that calls run() or run_tools().
class toolbox {
public:
    /// Adds a function whose arguments are the described struct the handler takes.
    template <class Handler>
    toolbox& add(std::string name, std::string description, Handler handler) {
        using args = typename detail::handler_signature<Handler>::args;
        static_assert(!std::is_same_v<args, boost::json::object>,
                      "a handler taking boost::json::object needs its parameters schema: "
                      "add(name, description, parameters, handler)");
        return add_entry(std::move(name), std::move(description), json_schema_of<args>(),
                         std::move(handler));
    }

    /// Adds a function with the JSON Schema of its arguments given (`parameters`), for a handler
    /// that takes a described struct or boost::json::object.
    template <class Handler>
    toolbox& add(std::string name, std::string description, boost::json::object parameters,
                 Handler handler) {
        return add_entry(std::move(name), std::move(description), std::move(parameters),
                         std::move(handler));
    }

    /// The function tools, in the order they were added, for chat_request::tools.
    MISTRAL_DECL std::vector<tool> definitions() const;

    /// Whether a function of this name was added.
    MISTRAL_DECL bool contains(std::string_view name) const noexcept;

    /// Runs one tool call of a reply and returns the tool message that answers it (its
    /// `tool_call_id` and `name` are the call's). Never throws for what went wrong with the
    /// call: the message tells the model, so that it can recover: "error: unknown tool NAME",
    /// "error: invalid arguments for NAME: <JSON path>: <what>", or "error: " and the text of
    /// the exception the handler threw.
    MISTRAL_DECL tool_message run(const tool_call& call) const;

private:
    // Arguments that do not decode into the handler's type (what() names the JSON path).
    struct invalid_arguments : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

    struct entry {
        function_definition definition;
        std::function<std::string(const boost::json::value&)> invoke;
    };

    template <class Handler>
    toolbox& add_entry(std::string name, std::string description, boost::json::object parameters,
                       Handler handler) {
        using args = typename detail::handler_signature<Handler>::args;
        using result = decltype(std::declval<Handler&>()(std::declval<const args&>()));
        static_assert(!std::is_void_v<result>,
                      "mistral::toolbox: a tool handler returns what the model is told, "
                      "std::string (sent as it is) or a type Boost.JSON converts (sent as JSON); "
                      "this one returns void (return a short text, such as \"done\")");
        static_assert(std::is_void_v<result> || std::is_convertible_v<result, std::string_view> ||
                          boost::json::has_value_from<std::remove_cvref_t<result>>::value,
                      "mistral::toolbox: a tool handler returns std::string or a type Boost.JSON "
                      "converts (a described struct, a number, a standard container of those); "
                      "Boost.JSON cannot convert what this one returns");
        // mutable: a handler may keep state of its own (a counter of its calls).
        auto invoke =
            [h = std::move(handler)](const boost::json::value& json) mutable -> std::string {
            args decoded{};
            try {
                detail::json_path path;
                detail::read_value(decoded, json, path);
            } catch (const protocol_error& e) {
                throw invalid_arguments(e.what());
            }
            return detail::tool_output(h(decoded));
        };
        insert(function_definition{.name = std::move(name),
                                   .description = std::move(description),
                                   .parameters = std::move(parameters)},
               std::move(invoke));
        return *this;
    }

    MISTRAL_DECL void insert(function_definition definition,
                             std::function<std::string(const boost::json::value&)> invoke);

    MISTRAL_DECL const entry* find(std::string_view name) const noexcept;

    std::vector<entry> entries_;
};

namespace detail {

// The tool loop (see basic_client::run_tools): `round` makes one chat call of the request as it
// stands and returns the reply.
template <class Round>
chat_response run_tool_loop(chat_request& request, const toolbox& tools,
                            const tool_loop_options& options, Round&& round) {
    if (options.max_rounds < 1) throw usage_error("tool_loop_options::max_rounds must be >= 1");
    if (!request.tools) request.tools = tools.definitions();
    for (int rounds = 1;; ++rounds) {
        chat_response reply = round(std::as_const(request));
        const chat_choice* first = &choice_zero(reply, "run_tools");
        const bool asks = first->message.tool_calls && !first->message.tool_calls->empty();
        if (!asks) {
            request.messages.emplace_back(first->message);
            return reply;
        }
        if (rounds == options.max_rounds) {
            tool_loop_error e("run_tools: " + std::to_string(rounds) +
                              " rounds (max_rounds) and the model still asks for tools");
            e.set_partial_response(std::make_shared<const chat_response>(std::move(reply)));
            throw e;
        }
        const std::size_t appended = request.messages.size();
        request.messages.emplace_back(first->message);
        for (const tool_call& call : *first->message.tool_calls)
            request.messages.emplace_back(tools.run(call));
        // Ids of a server's own making (Ollama's "call_k3j9x0qa") are renamed, call and results
        // alike, so that the history stays one the API and preflight accept.
        sanitize_tool_call_ids_from(request.messages, appended);
    }
}

}  // namespace detail

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/tools.hpp"
#endif
