// mistral/detail/function_ref.hpp: a non-owning reference to a callable (as C++26's
// std::function_ref). Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// A non-owning reference to a callable. The client engine takes the transport and the chunk
// callback through these, so that it does not depend on their types and can be compiled once.
template <class Signature>
class function_ref;

template <class R, class... Args>
class function_ref<R(Args...)> {
public:
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
             std::is_invocable_r_v<R, F&, Args...>) function_ref(F& f)
    noexcept  // NOLINT(google-explicit-constructor)
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* object, Args... args) -> R {
              return std::invoke(*static_cast<F*>(object), std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

}  // namespace detail
MISTRAL_NAMESPACE_END
