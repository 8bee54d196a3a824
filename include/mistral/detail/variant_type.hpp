// mistral/detail/variant_type.hpp: a std::variant whose copy, move and destruction can be
// compiled once. Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// The API's recursive sum types (message, content, content_chunk, thinking_part, tool) are
// classes derived from std::variant, so std::visit, std::get, std::get_if, std::holds_alternative,
// index() and == work on them as on the std::variant they are. The class adds nothing but its
// own special members: declared here and defined in impl/variant_type.hpp, so that with
// MISTRAL_SEPARATE_COMPILATION they are compiled once, in src.hpp's translation unit. As plain
// std::variant aliases, every translation unit that copied or destroyed a request or a response
// compiled the visitation tables of every nested variant: about half of the code of a
// one-call program, and most of its compile time beyond parsing the headers.
template <class... Ts>
class variant_type : public std::variant<Ts...> {
    using base = std::variant<Ts...>;

public:
    using base::base;
    using base::operator=;

    variant_type() noexcept(std::is_nothrow_default_constructible_v<base>);
    variant_type(const variant_type& other);
    variant_type(variant_type&& other) noexcept(std::is_nothrow_move_constructible_v<base>);
    variant_type& operator=(const variant_type& other);
    variant_type& operator=(variant_type&& other) noexcept(std::is_nothrow_move_assignable_v<base>);
    ~variant_type();
};

// The std::variant a type is or derives from: what the JSON codecs and the schema generator
// take apart (std::variant_size and std::variant_alternative know only std::variant itself).
// (T first: with a pack alone, a type that is no variant would deduce an empty one.)
template <class T, class... Ts>
std::variant<T, Ts...> variant_base_of(const std::variant<T, Ts...>&);  // declared for decltype

template <class T>
concept variant_like = requires(const T& v) {
    detail::variant_base_of(v);
};

// void for any other type, so that a trait of it can be asked of every type.
template <class T>
struct variant_base {
    using type = void;
};
template <variant_like T>
struct variant_base<T> {
    using type = decltype(detail::variant_base_of(std::declval<const T&>()));
};
template <class T>
using variant_base_t = typename variant_base<T>::type;

}  // namespace detail
MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "../impl/variant_type.hpp"
#endif
