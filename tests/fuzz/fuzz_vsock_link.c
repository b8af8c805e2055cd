/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the peer-facing side of a VM-to-VM vsock link (src/net/vsock_link.c over src/ipc/netq.c)
 * from a hostile peer VMM: it writes anything into the link's queue region (indices, descriptors,
 * notification flags, forged returns of our buffers) and into its own data region, including
 * rewriting a packet's header after we validated it. Our side consumes into fake guest receive
 * chains of any size and sends honest guest packets of any length. Every shared region is its
 * own heap block of the exact size, so ASan reports any access outside one.
 *
 * Invariants checked after every operation:
 *   - a packet vsock_link_peek hands over comes from the peer's CID, is for our guest, is a known
 *     op on a STREAM socket, carries no payload unless RW and no more than a buffer's;
 *   - vsock_link_take writes a header whose len is the payload it wrote, never more than the
 *     chain holds, and the payload pieces of one packet add up to its validated len;
 *   - our sender never has more buffers than exist, whatever the peer returns.
 *
 * Input: operations, each an opcode byte and operands:
 *   0 poke a u32 into the queue region            1 poke bytes into the peer's data region
 *   2 the peer publishes {offset, len}, tail++     3 the peer writes a valid header into a buffer
 *   4 we take into a chain of n pieces             5 we send a guest packet of some length
 *   6 the peer returns a forged descriptor         7 finish (notify / re-arm)
 */
#include <svmm/vsock_link.h>
#include "fuzz.h"

#define NB 8u
#define BS VSOCK_LINK_BUF_SIZE
#define HDR VIRTIO_VSOCK_HDR_SIZE
#define LOCAL 3u
#define PEER 4u
#define MAX_OPS 256

static void *queues;
static uint8_t *ours, *theirs; /* our send region, the peer's (read-only to us) */
static size_t qbytes;
static struct vsock_link link;
static struct netq_link_rings rings;
static uint8_t guest[2 * 65536];
static struct virtq_chain chain;
static unsigned notifies;

static void on_notify(void *ctx)
{
    (void)ctx;
    notifies++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    qbytes = netq_link_queue_bytes(NB);
    queues = malloc(qbytes);
    ours = malloc((size_t)NB * BS);
    theirs = malloc((size_t)NB * BS);
    return 0;
}

/* The packet being taken, as validated, and how much of it has arrived. */
static struct virtio_vsock_hdr taking;
static bool have_taking;
static uint32_t taken;

static void check_peek(void)
{
    const struct virtio_vsock_hdr *h = vsock_link_peek(&link);

    if (h == NULL)
        return;
    FUZZ_CHECK(h->src_cid == PEER && h->dst_cid == LOCAL);
    FUZZ_CHECK(h->type == VIRTIO_VSOCK_TYPE_STREAM);
    FUZZ_CHECK(h->op >= VIRTIO_VSOCK_OP_REQUEST && h->op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST);
    FUZZ_CHECK(h->op == VIRTIO_VSOCK_OP_RW || h->len == 0);
    FUZZ_CHECK(h->len <= BS - HDR);
    if (!have_taking || memcmp(&taking, h, sizeof(taking)) != 0) {
        /* A new packet (the previous one was consumed, or this is the first). */
        taking = *h;
        have_taking = true;
        taken = 0;
    }
}

/* Take into a chain of `pieces` writable buffers of `len` bytes each, carved from guest[]. */
static void take(uint8_t pieces, uint16_t len)
{
    struct virtio_vsock_hdr h;
    uint32_t n, total = 0;

    pieces = (uint8_t)(pieces % 8 + 1);
    len = (uint16_t)(len % 8192 + 1);
    memset(&chain, 0, sizeof(chain));
    for (unsigned i = 0; i < pieces; i++) {
        chain.iov[i].host = guest + (size_t)i * 8192;
        chain.iov[i].len = len;
        total += len;
    }
    chain.n_in = pieces;
    chain.in_len = total;
    check_peek();
    n = vsock_link_take(&link, &chain);
    if (n == 0)
        return;
    FUZZ_CHECK(have_taking);
    FUZZ_CHECK(n >= HDR && n <= total);
    {
        uint8_t b[HDR];
        /* The header as the guest sees it, across the chain's equal pieces (i / len < pieces). */
        for (uint32_t i = 0; i < HDR; i++)
            b[i] = chain.iov[i / len].host[i % len];
        virtio_vsock_hdr_get(&h, b);
    }
    FUZZ_CHECK(h.len == n - HDR);
    FUZZ_CHECK(h.src_cid == PEER && h.dst_cid == LOCAL && h.op == taking.op);
    taken += h.len;
    FUZZ_CHECK(taken <= taking.len);
    if (taken == taking.len)
        have_taking = false; /* consumed: the next peek starts a new packet */
}

static void send_guest(uint16_t len, uint8_t op)
{
    struct virtio_vsock_hdr h = { .src_cid = LOCAL, .dst_cid = PEER, .src_port = 1, .dst_port = 2,
                                  .type = VIRTIO_VSOCK_TYPE_STREAM };
    struct virtio_vsock_buf b = { guest, 0 };

    h.op = (uint16_t)(op % 7 + 1);
    h.len = h.op == VIRTIO_VSOCK_OP_RW ? len % 65537u : 0;
    b.len = h.len;
    vsock_link_send(&link, &h, &b, 1, h.len);
    FUZZ_CHECK(link.tx.nowned <= NB);
}

static void peer_publish(uint64_t offset, uint32_t len)
{
    struct netq_ring *r = rings.tx_active; /* the peer is the client: it sends on the tx rings */
    uint32_t t = r->tail;

    r->desc[t % NB].offset = offset;
    r->desc[t % NB].len = len;
    r->tail = t + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin in = fin_make(data, size);

    memset(queues, 0, qbytes);
    memset(ours, 0, (size_t)NB * BS);
    memset(theirs, 0, (size_t)NB * BS);
    netq_link_rings(queues, NB, &rings);
    if (vsock_link_init(&link, LOCAL, PEER, true, queues, ours, theirs, NB, BS, on_notify, NULL) < 0)
        abort();
    have_taking = false;
    taken = 0;
    for (int op = 0; op < MAX_OPS && !fin_empty(&in); op++) {
        switch (fin_u8(&in) % 8) {
        case 0: {
            uint32_t off = fin_u32(&in) % (uint32_t)(qbytes / 4);
            ((uint32_t *)queues)[off] = fin_u32(&in);
            break;
        }
        case 1: {
            uint32_t off = fin_u32(&in) % (NB * BS);
            uint8_t n = fin_u8(&in);
            for (uint8_t i = 0; i < n && off + i < NB * BS; i++)
                theirs[off + i] = fin_u8(&in);
            break;
        }
        case 2:
            peer_publish(fin_u8(&in) % 2 ? (uint64_t)(fin_u8(&in) % NB) * BS : fin_u64(&in), fin_u32(&in) % (BS + 64));
            break;
        case 3: {
            uint32_t idx = fin_u8(&in) % NB;
            struct virtio_vsock_hdr h = { .src_cid = PEER, .dst_cid = LOCAL, .type = VIRTIO_VSOCK_TYPE_STREAM };
            h.op = (uint16_t)(fin_u8(&in) % 8);
            h.len = fin_u16(&in) % (BS - HDR + 1);
            h.src_port = fin_u32(&in);
            virtio_vsock_hdr_put(theirs + (size_t)idx * BS, &h);
            break;
        }
        case 4:
            take(fin_u8(&in), fin_u16(&in));
            break;
        case 5:
            send_guest(fin_u16(&in), fin_u8(&in));
            break;
        case 6: {
            struct netq_ring *r = rings.rx_free; /* returns of our buffers */
            uint32_t t = r->tail;
            r->desc[t % NB].offset = fin_u8(&in) % 2 ? (uint64_t)(fin_u8(&in) % NB) * BS : fin_u64(&in);
            r->desc[t % NB].len = fin_u32(&in);
            r->tail = t + (fin_u8(&in) % 4 ? 1 : fin_u32(&in));
            break;
        }
        default:
            vsock_link_finish(&link, fin_u8(&in) & 1);
            break;
        }
    }
    return 0;
}
