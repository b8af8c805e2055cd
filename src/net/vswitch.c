/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtual switch's forwarding plane (vswitch.h): MAC learning, flooding, source filter, ACLs. */
#include <stdio.h>
#include <string.h>
#include <svmm/log.h>
#include <svmm/net_offload.h>
#include <svmm/vswitch.h>

#define ETH_HDR 14u
#define HDRS (VSWITCH_NET_HDR + ETH_HDR) /* what the switch reads and decides on */

enum { ENTRY_EMPTY, ENTRY_LEARNED, ENTRY_STATIC };

void vswitch_init(struct vswitch *sw, uint64_t ageing_ns)
{
    memset(sw, 0, sizeof(*sw));
    sw->ageing_ns = ageing_ns ? ageing_ns : VSWITCH_DEFAULT_AGEING_NS;
}

static bool mac_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1;
}

/* FNV-1a over the six bytes: any fixed spread will do, the probe window bounds the work. */
static unsigned mac_hash(const uint8_t *mac)
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < 6; i++)
        h = (h ^ mac[i]) * 16777619u;
    return h % VSWITCH_MAC_ENTRIES;
}

static bool entry_live(const struct vswitch *sw, const struct vswitch_mac_entry *e, uint64_t now_ns)
{
    return e->kind == ENTRY_STATIC || (e->kind == ENTRY_LEARNED && now_ns - e->seen_ns < sw->ageing_ns);
}

int vswitch_lookup(const struct vswitch *sw, const uint8_t mac[6], uint64_t now_ns)
{
    unsigned h = mac_hash(mac);

    for (unsigned i = 0; i < VSWITCH_MAC_PROBE; i++) {
        const struct vswitch_mac_entry *e = &sw->table[(h + i) % VSWITCH_MAC_ENTRIES];
        if (e->kind != ENTRY_EMPTY && memcmp(e->mac, mac, 6) == 0)
            return entry_live(sw, e, now_ns) ? e->port : -1;
    }
    return -1;
}

/*
 * Record that `mac` is behind `port`. Static entries never move (the source filter already keeps a
 * port from claiming another port's MAC); otherwise the entry is refreshed, or takes the first
 * empty or aged slot in the probe window, or evicts the window's oldest learned entry.
 */
static void mac_learn(struct vswitch *sw, const uint8_t *mac, unsigned port, uint64_t now_ns, uint8_t kind)
{
    unsigned h = mac_hash(mac);
    struct vswitch_mac_entry *slot = NULL, *oldest = NULL;

    for (unsigned i = 0; i < VSWITCH_MAC_PROBE; i++) {
        struct vswitch_mac_entry *e = &sw->table[(h + i) % VSWITCH_MAC_ENTRIES];
        if (e->kind != ENTRY_EMPTY && memcmp(e->mac, mac, 6) == 0) {
            if (e->kind == ENTRY_STATIC && kind != ENTRY_STATIC)
                return;
            slot = e;
            break;
        }
        if (slot == NULL && !entry_live(sw, e, now_ns))
            slot = e;
        if (e->kind == ENTRY_LEARNED && (oldest == NULL || e->seen_ns < oldest->seen_ns))
            oldest = e;
    }
    if (slot == NULL) {
        if (oldest == NULL)
            return; /* a window full of static entries: flood instead of learning */
        slot = oldest;
        sw->evicted++;
    }
    if (slot->kind != ENTRY_LEARNED || memcmp(slot->mac, mac, 6) != 0)
        sw->learned++;
    memcpy(slot->mac, mac, 6);
    slot->port = (uint8_t)port;
    slot->kind = kind;
    slot->seen_ns = now_ns;
}

int vswitch_add_port(struct vswitch *sw, const char *name, const uint8_t *mac, bool filter)
{
    struct vswitch_port *p;
    unsigned n = sw->nports;

    if (n >= VSWITCH_MAX_PORTS || (filter && mac == NULL))
        return -1;
    p = &sw->ports[n];
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    if (mac != NULL) {
        memcpy(p->mac, mac, 6);
        mac_learn(sw, mac, n, 0, ENTRY_STATIC);
    }
    p->mac_filter = filter;
    p->reach = ~0u;
    sw->nports = n + 1;
    return (int)n;
}

int vswitch_add_uplink(struct vswitch *sw, const char *name, const struct vswitch_uplink *up)
{
    int n = vswitch_add_port(sw, name, NULL, false);

    if (n < 0 || up->send == NULL)
        return -1;
    sw->ports[n].uplink = *up;
    sw->ports[n].active = true;
    return n;
}

int vswitch_attach(struct vswitch *sw, unsigned port, void *queues, const void *tx_data, void *rx_data,
                   uint32_t nbufs, uint32_t buf_size)
{
    struct netq_link_rings rings;
    struct vswitch_port *p;

    if (port >= sw->nports || !netq_geometry_ok(nbufs, buf_size) || sw->ports[port].uplink.send)
        return -1;
    p = &sw->ports[port];
    netq_link_rings(queues, nbufs, &rings);
    p->info = rings.info;
    if (netq_receiver_init(&p->in, rings.tx_active, rings.tx_free, tx_data, nbufs, buf_size) < 0 ||
        netq_sender_init(&p->out, rings.rx_active, rings.rx_free, rx_data, nbufs, buf_size) < 0)
        return -1;
    p->active = true;
    return 0;
}

void vswitch_detach(struct vswitch *sw, unsigned port)
{
    if (port >= sw->nports)
        return;
    sw->ports[port].active = false;
    for (unsigned i = 0; i < VSWITCH_MAC_ENTRIES; i++)
        if (sw->table[i].kind == ENTRY_LEARNED && sw->table[i].port == port)
            sw->table[i].kind = ENTRY_EMPTY;
}

void vswitch_set_reach(struct vswitch *sw, unsigned port, uint32_t mask)
{
    if (port < sw->nports)
        sw->ports[port].reach = mask;
}

/* Ports frame `hdrs` (private copy) from port `src` goes to; 0 when it must be dropped (counted). */
static uint32_t route(struct vswitch *sw, unsigned src, const uint8_t *hdrs, uint64_t now_ns)
{
    struct vswitch_port *p = &sw->ports[src];
    const uint8_t *dst = hdrs + VSWITCH_NET_HDR, *smac = dst + 6;
    uint32_t all = (sw->nports >= 32 ? ~0u : (1u << sw->nports) - 1) & ~(1u << src);
    uint32_t mask, allowed = 0;
    int d;

    if (mac_is_multicast(smac)) {
        p->stats.drop_malformed++;
        return 0;
    }
    if (p->mac_filter && memcmp(smac, p->mac, 6) != 0) {
        p->stats.drop_spoof++;
        if (svmm_ratelimit_ok(&p->spoof_rl, 4))
            svmm_warn("switch port %s: dropped a frame with source MAC %02x:%02x:%02x:%02x:%02x:%02x, not the "
                      "port's (spoofed source %llu so far)", p->name, smac[0], smac[1], smac[2], smac[3], smac[4],
                      smac[5], (unsigned long long)p->stats.drop_spoof);
        return 0;
    }
    mac_learn(sw, smac, src, now_ns, ENTRY_LEARNED);
    d = mac_is_multicast(dst) ? -1 : vswitch_lookup(sw, dst, now_ns);
    if (d == (int)src)
        return 0; /* the destination is behind the sender's own port: nothing to forward */
    mask = d >= 0 ? 1u << d : all;
    for (unsigned q = 0; q < sw->nports; q++)
        if ((mask & (1u << q)) && sw->ports[q].active && (p->reach & (1u << q)) &&
            (sw->ports[q].reach & (1u << src)))
            allowed |= 1u << q;
    if (allowed == 0 && d >= 0) /* a unicast the ACL refuses; floods reaching nobody are not errors */
        p->stats.drop_acl++;
    return allowed;
}

/* Copy `len` bytes at `frame` into a free rx buffer of `dst` and publish it; false if dropped (counted). */
static bool deliver_copy(struct vswitch_port *dst, const uint8_t *frame, uint32_t len, const uint8_t *hdrs,
                         const struct virtio_net_hdr *h)
{
    uint32_t idx;
    uint8_t *buf;

    if (len > dst->out.buf_size) {
        dst->stats.drop_too_big++;
        return false;
    }
    buf = netq_sender_get(&dst->out, &idx);
    if (buf == NULL) {
        dst->stats.drop_full++;
        return false;
    }
    memcpy(buf, frame, len);
    memcpy(buf, hdrs, HDRS); /* the headers the decision was made on, not whatever the sender has now */
    virtio_net_hdr_put(buf, h, 0);
    netq_send(&dst->out, idx, len);
    dst->stats.out_frames++;
    dst->stats.out_bytes += len;
    return true;
}

/* Cut a TCP segmentation frame (a private copy in scratch) into plain frames for `dst`. */
static bool deliver_segments(struct vswitch_port *dst, const uint8_t *copy, uint32_t len, const struct virtio_net_hdr *h)
{
    struct net_tso t;
    bool any = false;

    if (net_tso_init(&t, copy + VSWITCH_NET_HDR, len - VSWITCH_NET_HDR, h) < 0) {
        dst->stats.drop_offload++;
        return false;
    }
    /* Bounded: each segment takes one of dst's nbufs buffers, or the loop ends. */
    for (;;) {
        uint32_t idx;
        uint8_t *buf = netq_sender_get(&dst->out, &idx);
        size_t n;
        if (buf == NULL) {
            dst->stats.drop_full++;
            break;
        }
        n = net_tso_next(&t, buf + VSWITCH_NET_HDR, dst->out.buf_size - VSWITCH_NET_HDR);
        if (n == 0) {
            netq_sender_unget(&dst->out, idx);
            break;
        }
        memset(buf, 0, VSWITCH_NET_HDR);
        netq_send(&dst->out, idx, (uint32_t)(n + VSWITCH_NET_HDR));
        dst->stats.out_frames++;
        dst->stats.out_bytes += n + VSWITCH_NET_HDR;
        dst->stats.sw_segmented++;
        any = true;
    }
    return any;
}

/*
 * A frame whose offload request `dst`'s guest did not accept: convert a private copy (segments, or
 * a completed checksum) and deliver that as plain frames.
 */
static bool deliver_converted(struct vswitch *sw, struct vswitch_port *dst, const uint8_t *frame, uint32_t len,
                              const uint8_t *hdrs, const struct virtio_net_hdr *h)
{
    static const struct virtio_net_hdr plain;
    uint8_t *copy = sw->scratch;

    if (len > VSWITCH_SCRATCH) {
        dst->stats.drop_offload++;
        return false;
    }
    memcpy(copy, frame, len);
    memcpy(copy, hdrs, HDRS);
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
        return deliver_segments(dst, copy, len, h);
    /*
     * The checksum is written at csum_start + csum_offset: that must lie past the Ethernet header the
     * switch routed and filtered on, or a sender could rewrite its source MAC after the source
     * filter passed it (found by fuzz_vswitch). A real checksum starts at the L3 or L4 header anyway.
     */
    if (h->csum_start < ETH_HDR ||
        net_offload_csum(copy + VSWITCH_NET_HDR, len - VSWITCH_NET_HDR, h->csum_start, h->csum_offset) < 0) {
        dst->stats.drop_offload++;
        return false;
    }
    dst->stats.sw_csum++;
    return deliver_copy(dst, copy, len, copy, &plain);
}

/* An uplink takes a private copy (its send() may keep no pointer into a VMM's buffer). */
static bool deliver_uplink(struct vswitch *sw, struct vswitch_port *dst, const uint8_t *frame, uint32_t len,
                           const uint8_t *hdrs, const struct virtio_net_hdr *h)
{
    if (len > VSWITCH_SCRATCH) {
        dst->stats.drop_too_big++;
        return false;
    }
    if (frame != sw->scratch)
        memcpy(sw->scratch, frame, len);
    memcpy(sw->scratch, hdrs, HDRS);
    virtio_net_hdr_put(sw->scratch, h, 0);
    if (!dst->uplink.send(dst->uplink.ctx, sw->scratch, len)) {
        dst->stats.drop_full++;
        return false;
    }
    dst->stats.out_frames++;
    dst->stats.out_bytes += len;
    return true;
}

/* Deliver a frame to port `dst`, converting its offload request if the port's guest cannot take it. */
static bool deliver(struct vswitch *sw, struct vswitch_port *dst, const uint8_t *frame, uint32_t len,
                    const uint8_t *hdrs)
{
    uint64_t accepts = dst->uplink.send ? dst->uplink.accepts
                                        : __atomic_load_n(&dst->info->rx_features, __ATOMIC_RELAXED);
    struct virtio_net_hdr h, as_is;

    virtio_net_hdr_get(&h, hdrs);
    as_is = h;
    if ((h.flags || h.gso_type) &&
        virtio_net_hdr_check_rx(&as_is, len - VSWITCH_NET_HDR, accepts & VIRTIO_NET_RX_OFFLOADS) != NULL) {
        if (dst->uplink.send) {
            dst->stats.drop_offload++; /* an uplink says what it takes; it is not converted for */
            return false;
        }
        return deliver_converted(sw, dst, frame, len, hdrs, &h);
    }
    if (dst->uplink.send)
        return deliver_uplink(sw, dst, frame, len, hdrs, &as_is);
    return deliver_copy(dst, frame, len, hdrs, &as_is);
}

/* Forward one frame from port `src`: `frame` is in the sender's buffer and may change under us. */
static void forward(struct vswitch *sw, unsigned src, const uint8_t *frame, uint32_t len, uint64_t now_ns,
                    uint32_t *delivered)
{
    struct vswitch_port *p = &sw->ports[src];
    uint8_t hdrs[HDRS];
    uint32_t to;

    if (len < HDRS) {
        p->stats.drop_malformed++;
        return;
    }
    memcpy(hdrs, frame, HDRS);
    to = route(sw, src, hdrs, now_ns);
    if (to == 0)
        return;
    p->stats.in_frames++;
    p->stats.in_bytes += len;
    /* A flood copies from the sender's buffer each time, never from a copy already handed to one
     * receiver: that receiver could alter it before the next copy and speak in the sender's name. */
    for (unsigned q = 0; q < sw->nports; q++)
        if ((to & (1u << q)) && deliver(sw, &sw->ports[q], frame, len, hdrs))
            *delivered |= 1u << q;
}

/* Ports whose VMM must hear about frames delivered to them in `delivered`. */
static uint32_t delivery_notifications(struct vswitch *sw, uint32_t delivered)
{
    uint32_t notify = 0;

    for (unsigned q = 0; q < sw->nports; q++) {
        struct vswitch_port *p = &sw->ports[q];
        if (((delivered >> q) & 1) && p->active && !p->uplink.send && netq_must_notify(p->out.active))
            notify |= 1u << q;
    }
    return notify;
}

void vswitch_input(struct vswitch *sw, unsigned port, const uint8_t *frame, uint32_t len, uint64_t now_ns,
                   uint32_t *notify)
{
    uint32_t delivered = 0;

    *notify = 0;
    if (port >= sw->nports || !sw->ports[port].uplink.send)
        return;
    forward(sw, port, frame, len, now_ns, &delivered);
    *notify = delivery_notifications(sw, delivered);
}

/* One burst from port `src`; true if its ring may hold more. */
static bool serve_port(struct vswitch *sw, unsigned src, uint64_t now_ns, uint32_t *delivered)
{
    struct vswitch_port *p = &sw->ports[src];
    unsigned n;

    for (n = 0; n < VSWITCH_BURST; n++) {
        uint32_t len;
        const uint8_t *frame = netq_recv_peek(&p->in, &len);
        if (frame == NULL)
            break;
        forward(sw, src, frame, len, now_ns, delivered);
        netq_recv_done(&p->in);
    }
    return n == VSWITCH_BURST;
}

bool vswitch_poll(struct vswitch *sw, uint64_t now_ns, uint32_t *notify)
{
    uint32_t delivered = 0, served = 0;
    bool more = false;

    for (unsigned round = 0; round < VSWITCH_ROUNDS; round++) {
        more = false;
        for (unsigned q = 0; q < sw->nports; q++) {
            uint32_t before = sw->ports[q].in.active_head;
            if (!sw->ports[q].active || sw->ports[q].uplink.send)
                continue;
            more |= serve_port(sw, q, now_ns, &delivered);
            if (sw->ports[q].in.active_head != before)
                served |= 1u << q;
        }
        if (!more) {
            /* Arm every port before sleeping; a frame that raced in means one more round. */
            for (unsigned q = 0; q < sw->nports; q++) {
                struct netq_receiver *in = &sw->ports[q].in;
                if (sw->ports[q].active && !sw->ports[q].uplink.send && !in->broken &&
                    netq_ask_notify(in->active, in->active_head))
                    more = true;
            }
            if (!more)
                break;
        }
    }
    *notify = delivery_notifications(sw, delivered);
    for (unsigned q = 0; q < sw->nports; q++) {
        struct vswitch_port *p = &sw->ports[q];
        if (((served >> q) & 1) && p->active && !p->uplink.send && netq_must_notify(p->in.free))
            *notify |= 1u << q;
    }
    return more;
}

void vswitch_log_stats(const struct vswitch *sw)
{
    for (unsigned q = 0; q < sw->nports; q++) {
        const struct vswitch_port *p = &sw->ports[q];
        const struct vswitch_port_stats *s = &p->stats;
        svmm_info("switch port %s: in %llu frames %llu bytes, out %llu frames %llu bytes; dropped: spoofed source %llu, "
                  "acl %llu, malformed %llu, no rx buffer %llu, too big %llu, offload %llu; converted in software: %llu "
                  "checksummed, %llu segments; bad descriptors %llu/%llu, bad returns %llu%s",
                  p->name, (unsigned long long)s->in_frames, (unsigned long long)s->in_bytes,
                  (unsigned long long)s->out_frames, (unsigned long long)s->out_bytes,
                  (unsigned long long)s->drop_spoof, (unsigned long long)s->drop_acl,
                  (unsigned long long)s->drop_malformed, (unsigned long long)s->drop_full,
                  (unsigned long long)s->drop_too_big, (unsigned long long)s->drop_offload,
                  (unsigned long long)s->sw_csum, (unsigned long long)s->sw_segmented, (unsigned long long)p->in.stats.bad_desc,
                  (unsigned long long)p->in.stats.bad_index, (unsigned long long)p->out.stats.bad_return,
                  p->in.broken || p->out.broken ? " (link broken by its peer)" : "");
    }
}
