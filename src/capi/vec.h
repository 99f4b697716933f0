// Storage of wasm.h's vectors, shared by the C API's translation units. Vector storage comes
// from calloc, so a vector made by one side is freed by the other with the same allocator, and
// an uninitialized vector of pointers holds nulls.
#pragma once

#include <cstdlib>
#include <cstring>

namespace atl::capi {

// Out of memory leaves an empty vector (the API has no way to report it).
template <class V, class T>
void vec_new_uninitialized(V* out, size_t n) {
  out->data = n ? static_cast<T*>(std::calloc(n, sizeof(T))) : nullptr;
  out->size = out->data ? n : 0;
}

template <class V>
void vec_new_empty(V* out) {
  out->size = 0;
  out->data = nullptr;
}

// Vectors of plain values copy their elements.
template <class V, class T>
void vec_new_values(V* out, size_t n, const T* src) {
  vec_new_uninitialized<V, T>(out, n);
  if (out->size) std::memcpy(out->data, src, n * sizeof(T));
}

// Vectors of pointers take the pointers over (own elements).
template <class V, class T>
void vec_new_owned(V* out, size_t n, T* const* src) {
  vec_new_uninitialized<V, T*>(out, n);
  for (size_t i = 0; i < out->size; ++i) out->data[i] = src[i];
}

template <class V, class T, class Copy>
void vec_copy_owned(V* out, const V* src, Copy copy) {
  vec_new_uninitialized<V, T*>(out, src->size);
  for (size_t i = 0; i < out->size; ++i) out->data[i] = src->data[i] ? copy(src->data[i]) : nullptr;
}

template <class V, class Delete>
void vec_delete_owned(V* v, Delete del) {
  for (size_t i = 0; i < v->size; ++i) {
    if (v->data[i]) del(v->data[i]);
  }
  std::free(v->data);
  v->size = 0;
  v->data = nullptr;
}

template <class V>
void vec_delete_values(V* v) {
  std::free(v->data);
  v->size = 0;
  v->data = nullptr;
}

}  // namespace atl::capi

// Vectors of pointers to types: the type's _copy and _delete.
#define ATL_POINTER_VEC(name)                                                                    \
  void wasm_##name##_vec_new_empty(wasm_##name##_vec_t* out) { atl::capi::vec_new_empty(out); }             \
  void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t* out, size_t n) {                 \
    atl::capi::vec_new_uninitialized<wasm_##name##_vec_t, wasm_##name##_t*>(out, n);                        \
  }                                                                                              \
  void wasm_##name##_vec_new(wasm_##name##_vec_t* out, size_t n, wasm_##name##_t* const src[]) { \
    atl::capi::vec_new_owned(out, n, src);                                                                  \
  }                                                                                              \
  void wasm_##name##_vec_copy(wasm_##name##_vec_t* out, const wasm_##name##_vec_t* src) {        \
    atl::capi::vec_copy_owned<wasm_##name##_vec_t, wasm_##name##_t>(out, src, wasm_##name##_copy);          \
  }                                                                                              \
  void wasm_##name##_vec_delete(wasm_##name##_vec_t* v) { atl::capi::vec_delete_owned(v, wasm_##name##_delete); }
