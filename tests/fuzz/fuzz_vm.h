/* SPDX-License-Identifier: MIT */
/*
 * A dxgd worker VM without Vulkan, for the dispatch fuzzer and its seed generator: fake adapters
 * (as tests/unit/host/test_worker_vm.c builds them), a private stand-in for the shared region (a
 * memfd: heap and fence storage), a device-local backend of malloc'ed buffers with a capacity (so
 * eviction, restore and discard run without a GPU), and a configuration byte that picks how many
 * adapters the VM has and whether its quotas are the daemon's defaults or small enough for a short
 * input to run into them.
 *
 * The input format of fuzz-dispatch (the seed generator writes the same):
 *   u8 config                  FUZZ_VM_CONFIG_* (the harness reads bits 3 and 4)
 *   then records, each:        le16 n, u8 mode, n bytes (fewer if the input ends)
 *     mode bit 0               after copying, set hdr.size (bytes 0..3) to the record length
 *     mode bit 1               after copying, set the opcode's own length field to what the
 *                              record holds (QUERY_ADAPTER_INFO data_size, CREATE_CONTEXT_VIRTUAL
 *                              priv_size)
 *     mode bits 2..7           append (mode >> 2) * 4096 zero bytes (large QUERYADAPTERINFO)
 * The fix-ups are opt-in per record: without them the fuzzer still sends every inconsistent size;
 * with them it reaches the handlers of large variable-length messages, whose two length fields it
 * would otherwise have to guess together.
 *
 * A record whose header opcode is FUZZ_OP_GUEST_WRITE is not a request: it stands for the guest
 * writing its own memory (a command buffer, before SUBMIT). Its body is le32 allocation, le32
 * byte offset, then the bytes, written into that host-visible allocation's pages (of whichever
 * process has it; cut at the allocation's end; nothing when there is no such allocation).
 *
 * Execution runs on a fake backend (no Vulkan): a job's operations are checked against the
 * memory they name (heap pages, device-local buffers: every reference inside) and carried out on
 * it (COPY, FILL, TIMESTAMP; a DISPATCH touches the first and last word of each binding). Jobs
 * complete when fuzz_vm_after_record() says so: after every second record, so inputs reach
 * destruction with jobs still in flight as well as after they completed.
 */
#ifndef DXG_FUZZ_VM_H
#define DXG_FUZZ_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "objects.h"

#define FUZZ_VM_MAX_ADAPTERS 3u
#define FUZZ_VM_GENERATION 7u
#define FUZZ_VM_HEAP_SIZE (64ull << 20)
/* Region stand-in: header page, fence storage (8 pages: 8 processes with paging queues), heap. */
#define FUZZ_VM_FENCE_OFFSET 4096ull
#define FUZZ_VM_FENCE_SIZE (8ull * 4096ull)
#define FUZZ_VM_HEAP_OFFSET (FUZZ_VM_FENCE_OFFSET + FUZZ_VM_FENCE_SIZE)
#define FUZZ_VM_REGION_SIZE (FUZZ_VM_HEAP_OFFSET + FUZZ_VM_HEAP_SIZE)
/* Device memory of the fake backend, per process run (shared by the adapters). */
#define FUZZ_VM_DEVICE_BYTES (64ull << 20)

/*
 * Config byte: bits 0..1 adapter count (0..3), bit 2 small quotas (objects and memory: see
 * FUZZ_VM_SMALL_LIMITS and FUZZ_VM_SMALL_MEMORY); bit 3 renders the worker's
 * status JSON (guest-chosen process names go to the broker) after the last record, bit 4 with a
 * size limit that forces the truncated form.
 */
#define FUZZ_VM_CONFIG_ADAPTERS_MASK 0x3u
#define FUZZ_VM_CONFIG_SMALL_LIMITS 0x4u
#define FUZZ_VM_CONFIG_STATUS 0x8u
#define FUZZ_VM_CONFIG_STATUS_SMALL 0x10u

#define FUZZ_RECORD_PREFIX 3u
#define FUZZ_RECORD_FIX_SIZE 0x1u
#define FUZZ_RECORD_FIX_BODY_SIZE 0x2u
#define FUZZ_RECORD_EXTEND_SHIFT 2u
#define FUZZ_RECORD_EXTEND_UNIT 4096u

/* Not a wire opcode (dxgd's bands end at 0x06xx): the guest-write pseudo-record above. */
#define FUZZ_OP_GUEST_WRITE 0xfe01u
#define FUZZ_GUEST_WRITE_FIXED 8u	/* le32 allocation, le32 offset */

struct fuzz_vm {
	struct vk_adapter adapters[FUZZ_VM_MAX_ADAPTERS];
	struct vk_backend vk;
	struct dxg_vm vm;
	struct dxg_ratelimit reject_log;
	uint8_t config;
};

/*
 * The quotas FUZZ_VM_CONFIG_SMALL_LIMITS selects: a few dozen requests reach each of them, and
 * the handle cap is below the sum of the others so the handle table itself runs full too.
 */
#define FUZZ_VM_SMALL_LIMITS { \
	.max_handles = 16, \
	.max_processes = 4, \
	.max_devices = 6, \
	.max_contexts = 8, \
	.max_adapter_refs = 3, \
	.max_open_adapters = 5, \
}

/* The memory limits FUZZ_VM_CONFIG_SMALL_LIMITS selects: a few allocations reach each one. */
#define FUZZ_VM_SMALL_MEMORY { \
	.quota_bytes = 256u << 10, \
	.max_allocations = 8, \
	.max_gpuva_entries = 8, \
}

/* The region stand-in every VM of this process uses (valid after the first fuzz_vm_start()). */
unsigned char *fuzz_vm_region(void);

/* Device-local bytes the fake backend holds now (must be 0 after fuzz_vm_stop()). */
uint64_t fuzz_vm_device_bytes(void);

/* Sets up the VM for one input; aborts when the host code cannot (a harness bug, not a finding). */
void fuzz_vm_start(struct fuzz_vm *f, uint8_t config);
/* Frees everything the input created, so libFuzzer's leak check sees a balanced run. */
void fuzz_vm_stop(struct fuzz_vm *f);

/*
 * A FUZZ_OP_GUEST_WRITE record: performs it and returns true. Any other record: false (the
 * caller dispatches it). `rec` is the record as received, `len` bytes.
 */
bool fuzz_vm_guest_write(struct fuzz_vm *f, const unsigned char *rec, uint32_t len);

/*
 * What the worker's loop does between requests: after every second record (`record_number`
 * even), the jobs in flight complete and exec_poll() reaps them and runs what can run. The
 * harness and the seed generator call it after each record, so both see the same states.
 */
void fuzz_vm_after_record(struct fuzz_vm *f, uint32_t record_number);

/* Fake execution objects alive now: devices opened, programs, jobs in flight (0 after stop). */
uint32_t fuzz_vm_exec_objects(void);

#endif /* DXG_FUZZ_VM_H */
