/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the virtual switch (src/net/vswitch.c) and the netq rings under it (src/ipc/netq.c) from a
 * hostile peer: port 0's VMM is compromised and writes anything into its shared memory (ring
 * indices, descriptors, notification flags, its tx buffers, returns on its rx free ring), while
 * ports 1 and 2 are honest VMMs that send and consume valid frames. Every shared region is its own
 * heap block of the exact size, so ASan reports any access outside one.
 *
 * Invariants checked after every operation:
 *   - honest ports never lose tx buffers: after a poll, all of them are back (no stall);
 *   - every frame an honest port receives fits its buffer and carries one of the three ports'
 *     MACs as its source (port 0 has a source filter: it can never speak with another MAC);
 *   - what an honest port receives from an honest port arrives intact (payload tag matches).
 *
 * Input: operations, each an opcode byte and operands:
 *   0 poke a u32 at an offset into port 0's queue region     1 poke bytes into port 0's tx data
 *   2 port 0 publishes a descriptor {offset, len}, tail++     3 port 0 sets its tx tail outright
 *   4 port 0 returns a forged rx descriptor                   5 honest port 1/2 sends a frame
 *   6 honest ports consume what they got                      7 poll the switch (also after every op)
 *   8 detach and re-attach port 0 (its VMM restarts)
 * Port 0's frames carry whatever virtio_net_hdr the input wrote (op 1), and its info block (op 0) claims
 * any offloads, so the switch's software checksum and segmentation paths see hostile frames too.
 */
#include <svmm/vswitch.h>
#include "fuzz.h"

#define NB 8u
#define BS 2048u
#define HDR 12u
#define MAX_OPS 256

static const uint8_t macs[3][6] = { { 2, 0, 0, 0, 0, 0x10 }, { 2, 0, 0, 0, 0, 0x11 }, { 2, 0, 0, 0, 0, 0x12 } };

struct end {
    void *q;
    uint8_t *tx, *rx;
    struct netq_link_rings r;
    struct netq_sender s;
    struct netq_receiver in;
};

static struct vswitch sw;
static struct end ends[3];
static size_t qbytes;

static void attach(unsigned i)
{
    memset(ends[i].q, 0, qbytes);
    netq_link_rings(ends[i].q, NB, &ends[i].r);
    if (vswitch_attach(&sw, i, ends[i].q, ends[i].tx, ends[i].rx, NB, BS) < 0)
        abort();
    netq_sender_init(&ends[i].s, ends[i].r.tx_active, ends[i].r.tx_free, ends[i].tx, NB, BS);
    netq_receiver_init(&ends[i].in, ends[i].r.rx_active, ends[i].r.rx_free, ends[i].rx, NB, BS);
}

static void honest_send(unsigned i, const uint8_t *dst, uint8_t tag, uint32_t len)
{
    uint32_t idx;
    uint8_t *b = netq_sender_get(&ends[i].s, &idx);

    if (b == NULL)
        return;
    memset(b, 0, len);
    memcpy(b + HDR, dst, 6);
    memcpy(b + HDR + 6, macs[i], 6);
    b[HDR + 14] = tag;
    b[HDR + 15] = (uint8_t)i;
    for (uint32_t k = HDR + 16; k < len; k++)
        b[k] = (uint8_t)(tag ^ k);
    netq_send(&ends[i].s, idx, len);
}

static void honest_consume(unsigned i)
{
    uint32_t len;
    const uint8_t *f;

    while ((f = netq_recv_peek(&ends[i].in, &len)) != NULL) {
        const uint8_t *src = f + HDR + 6;
        if (len > BS || len < HDR + 14)
            abort();
        if (memcmp(src, macs[0], 6) && memcmp(src, macs[1], 6) && memcmp(src, macs[2], 6))
            abort(); /* a source MAC nobody was given got through */
        if (memcmp(src, macs[0], 6) && len >= HDR + 16 && f[HDR + 15] < 3 && f[HDR + 15] != i) {
            for (uint32_t k = HDR + 16; k < len; k++)
                if (f[k] != (uint8_t)(f[HDR + 14] ^ k))
                    abort(); /* an honest frame changed on the way */
        }
        netq_recv_done(&ends[i].in);
    }
}

static void poll_switch(uint64_t now)
{
    uint32_t notify;
    unsigned guard = 0;

    while (vswitch_poll(&sw, now, &notify))
        if (++guard > 64)
            abort(); /* with bounded producers the switch must come to rest */
    for (unsigned i = 1; i < 3; i++)
        if (netq_sender_room(&ends[i].s) != NB)
            abort(); /* an honest port's tx buffers did not all come back */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    qbytes = netq_link_queue_bytes(NB);
    for (unsigned i = 0; i < 3; i++) {
        ends[i].q = malloc(qbytes);
        ends[i].tx = malloc((size_t)NB * BS);
        ends[i].rx = malloc((size_t)NB * BS);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin in = fin_make(data, size);
    uint64_t now = 0;

    vswitch_init(&sw, 1000);
    for (unsigned i = 0; i < 3; i++) {
        vswitch_add_port(&sw, i == 0 ? "hostile" : "honest", macs[i], true);
        memset(ends[i].tx, 0, (size_t)NB * BS);
        attach(i);
    }
    for (unsigned op = 0; op < MAX_OPS && !fin_empty(&in); op++) {
        struct end *h = &ends[0];
        uint8_t code = fin_u8(&in) % 9;
        uint32_t a = fin_u8(&in) | (uint32_t)fin_u8(&in) << 8, b = fin_u8(&in) | (uint32_t)fin_u8(&in) << 8;
        uint32_t slot;

        now += fin_u8(&in) * 16u;
        switch (code) {
        case 0:
            a %= (uint32_t)(qbytes / 4);
            ((uint32_t *)h->q)[a] = b | (uint32_t)fin_u8(&in) << 16 | (uint32_t)fin_u8(&in) << 24;
            break;
        case 1:
            h->tx[a % (NB * BS)] = (uint8_t)b;
            break;
        case 2:
            slot = h->r.tx_active->tail;
            h->r.tx_active->desc[slot % NB].offset = a % 4 == 0 ? (uint64_t)(a / 4 % (NB + 2)) * BS : a;
            h->r.tx_active->desc[slot % NB].len = b % (BS + 64);
            h->r.tx_active->tail = slot + 1;
            break;
        case 3:
            h->r.tx_active->tail = a | b << 16;
            break;
        case 4:
            slot = h->r.rx_free->tail;
            h->r.rx_free->desc[slot % NB].offset = a % 4 == 0 ? (uint64_t)(a / 4 % (NB + 2)) * BS : a;
            h->r.rx_free->tail = slot + 1;
            break;
        case 5: {
            unsigned i = 1 + (a & 1);
            const uint8_t *dst = (b & 3) == 0 ? (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } : macs[b % 3];
            honest_send(i, dst, (uint8_t)(a >> 1), HDR + 16 + (b >> 2) % (BS - HDR - 15));
            break;
        }
        case 6:
            honest_consume(1);
            honest_consume(2);
            break;
        case 7:
            break;
        case 8:
            vswitch_detach(&sw, 0);
            attach(0);
            break;
        }
        poll_switch(now);
    }
    honest_consume(1);
    honest_consume(2);
    return 0;
}
