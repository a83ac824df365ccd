/* SPDX-License-Identifier: MIT */
/*
 * QUERYADAPTERINFO on the host: the WSL query types opendxg answers plus its private
 * OPENDXG_QAI_* types (include/uapi/misc/opendxg.h). Each type has one exact data size; anything
 * else, and any type not listed in docs/protocol.md, is -EINVAL.
 */
#ifndef DXGD_ADAPTER_INFO_H
#define DXGD_ADAPTER_INFO_H

#include <stdint.h>

#include <misc/d3dkmthk.h>

#include "objects.h"

/*
 * Answers query `type` about adapter `a` for `vm`. `in` holds the caller's `size` bytes (input for
 * the types that take some); `out` receives exactly `size` bytes, zeroed before they are filled so
 * nothing of the host leaks into padding. Returns 0 or -EINVAL (unknown type, wrong size, bad
 * input).
 */
int adapter_info_query(const struct dxg_vm *vm, const struct dxg_adapter *a, uint32_t type,
		       const unsigned char *in, uint32_t size, unsigned char *out);

/*
 * Converts NUL-terminated UTF-8 to UTF-16LE in `out` (capacity `units` code units, > 0), always
 * NUL terminated; invalid sequences become U+FFFD and the text is cut at a character boundary.
 * Returns the number of code units written before the terminator.
 */
uint32_t utf8_to_utf16le(const char *in, unsigned char *out, uint32_t units);

#endif /* DXGD_ADAPTER_INFO_H */
