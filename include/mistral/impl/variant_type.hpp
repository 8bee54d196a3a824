// mistral/impl/variant_type.hpp: the special members of detail::variant_type (see
// detail/variant_type.hpp); with MISTRAL_SEPARATE_COMPILATION, instantiated in src.hpp only.
// SPDX-License-Identifier: MIT
#pragma once

#include "../detail/variant_type.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

template <class... Ts>
variant_type<Ts...>::variant_type() noexcept(std::is_nothrow_default_constructible_v<base>) =
    default;
template <class... Ts>
variant_type<Ts...>::variant_type(const variant_type& other) = default;
template <class... Ts>
variant_type<Ts...>::variant_type(variant_type&& other) noexcept(
    std::is_nothrow_move_constructible_v<base>) = default;
template <class... Ts>
variant_type<Ts...>& variant_type<Ts...>::operator=(const variant_type& other) = default;
template <class... Ts>
variant_type<Ts...>& variant_type<Ts...>::operator=(variant_type&& other) noexcept(
    std::is_nothrow_move_assignable_v<base>) = default;
template <class... Ts>
variant_type<Ts...>::~variant_type() = default;

}  // namespace detail
MISTRAL_NAMESPACE_END
