// Included at the end of mbed TLS's config.h (MBEDTLS_USER_CONFIG_FILE) by both builds: the
// AES-NI and VIA PadLock paths are x86 instructions wasm cannot use, so both builds run the
// portable C tables and the ratio measures the translation, not the instruction set.
#undef MBEDTLS_AESNI_C
#undef MBEDTLS_PADLOCK_C
