// mistral/impl/tools.hpp: what toolbox does that does not depend on a handler's type: its
// definitions, the lookup and a call's answer. Included at the end of tools.hpp in a header-only
// build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include "../detail/config.hpp"
#include "../tools.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL std::vector<tool> toolbox::definitions() const {
    std::vector<tool> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.emplace_back(function_tool{.function = e.definition});
    return out;
}

MISTRAL_DECL bool toolbox::contains(std::string_view name) const noexcept {
    return find(name) != nullptr;
}

MISTRAL_DECL tool_message toolbox::run(const tool_call& call) const {
    const std::string& name = call.function.name;
    const entry* e = find(name);
    if (e == nullptr) return tool_result(call, "error: unknown tool " + name);
    boost::json::value args;
    if (const auto* obj = std::get_if<boost::json::object>(&call.function.arguments)) {
        args = *obj;
    } else {
        const std::string& text = std::get<std::string>(call.function.arguments);
        boost::system::error_code ec;
        args = boost::json::parse(text.empty() ? std::string_view("{}") : text, ec);
        if (ec) {
            return tool_result(
                call, "error: invalid arguments for " + name + ": not JSON (" + ec.message() + ")");
        }
    }
    try {
        return tool_result(call, e->invoke(args));
    } catch (const invalid_arguments& bad) {
        return tool_result(call, "error: invalid arguments for " + name + ": " + bad.what());
    } catch (const std::exception& failed) {
        return tool_result(call, std::string("error: ") + failed.what());
    } catch (...) {
        return tool_result(call, "error: the tool failed");
    }
}

MISTRAL_DECL void toolbox::insert(function_definition definition,
                                  std::function<std::string(const boost::json::value&)> invoke) {
    if (definition.name.empty()) throw usage_error("toolbox::add: a tool needs a name");
    if (contains(definition.name))
        throw usage_error("toolbox::add: a tool named " + definition.name + " exists");
    entries_.push_back({std::move(definition), std::move(invoke)});
}

MISTRAL_DECL const toolbox::entry* toolbox::find(std::string_view name) const noexcept {
    for (const auto& e : entries_) {
        if (e.definition.name == name) return &e;
    }
    return nullptr;
}

MISTRAL_NAMESPACE_END
