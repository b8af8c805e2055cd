/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtual switch: a learning Ethernet switch whose ports are netq links (netq.h), one per
 * virtio-net of a VM. Platform-free: the seL4 switch PD and the hosted `svmm switch` process map
 * the links, feed notifications in and send the ones vswitch_poll asks for.
 *
 * Forwarding: a frame's destination MAC is looked up in a learned table (static entries for the
 * MACs the description gives, learned ones age out after `ageing_ns`); broadcast, multicast and
 * unknown destinations flood to every other port. A port given a MAC (`mac_filter`) may only send
 * with that source MAC; a multicast source is never valid. Per-port ACLs (`reach`) say which ports
 * a port may exchange frames with (both ports must allow it). Every drop is counted by reason.
 *
 * Copies: a frame is copied once, from the sending VMM's tx buffer straight into the receiving
 * VMM's rx buffer (a flood: once per receiver, always from the sender's buffer, never from a copy
 * another receiver could have changed). The
 * forwarding decision is made on a private copy of the headers (virtio_net_hdr + Ethernet header)
 * read once, and that copy is written over the delivered frame's headers, so a sender that changes
 * its buffer while the switch reads it cannot get a frame past the source filter or to a port it
 * was not routed to. The copy is also what isolates ports: no VMM maps another's buffers, and a VMM
 * that stops returning buffers only makes frames *to itself* drop.
 *
 * Offloads: the 12-byte virtio_net_hdr travels with each frame. A frame goes to a port untouched when
 * that port's guest accepts it as is (virtio_net_hdr_check_rx against the GUEST_* features the VMM
 * publishes in the link's info block); otherwise the switch completes its checksum or cuts it into
 * MSS-sized segments in software (net_offload.h), from a private copy.
 */
#ifndef SVMM_VSWITCH_H
#define SVMM_VSWITCH_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/log.h>
#include <svmm/netq.h>
#include <svmm/virtio_net.h>

#define VSWITCH_MAX_PORTS 16u         /* ports a switch has at most */
#define VSWITCH_MAC_ENTRIES 256u      /* learned + static entries */
#define VSWITCH_MAC_PROBE 8u          /* slots a lookup or insertion may visit */
#define VSWITCH_BURST 32u             /* frames taken from one port before serving the next */
#define VSWITCH_ROUNDS 8u             /* rounds of bursts per vswitch_poll call */
#define VSWITCH_NET_HDR 12u           /* virtio_net_hdr (MRG_RXBUF layout) before every frame */
#define VSWITCH_DEFAULT_AGEING_NS (300ull * 1000000000ull) /* a learned MAC is forgotten after 300 s unseen */

/* Counters of one port, for the switch's log. */
struct vswitch_port_stats {
    uint64_t in_frames, in_bytes;   /* accepted from this port */
    uint64_t out_frames, out_bytes; /* delivered to this port */
    uint64_t drop_spoof;    /* source MAC not the one this port was given */
    uint64_t drop_acl;      /* the destination is outside this port's reach */
    uint64_t drop_malformed;/* shorter than headers, or a multicast source MAC */
    uint64_t drop_full;     /* frames *to* this port while it had no free rx buffer */
    uint64_t drop_too_big;  /* frames to this port larger than its rx buffers */
    uint64_t drop_offload;  /* offloaded frames to this port that software could not convert */
    uint64_t sw_csum, sw_segmented; /* frames to this port checksummed / segmented in software */
};

/*
 * A port that is not a netq link (hosted: the switch process's tap uplink). Frames for it go out
 * through send(): a private copy, virtio_net_hdr first, whose offload request is within `accepts`
 * (GUEST_* bits, as a guest would negotiate them); frames from it come in through vswitch_input.
 */
struct vswitch_uplink {
    void *ctx;        /* passed to send */
    uint64_t accepts; /* the offloads a frame for it may ask for (GUEST_* feature bits) */
    bool (*send)(void *ctx, const uint8_t *frame, uint32_t len); /* false: dropped (counted as drop_full) */
};

/* One port: a netq link to a VMM (or an uplink), its MAC, filter, reach and counters. */
struct vswitch_port {
    struct vswitch_uplink uplink; /* send != NULL: an uplink port, no netq link */
    struct netq_receiver in; /* the VMM's tx: frames it sends */
    const struct netq_link_info *info; /* what the VMM says about its guest (a hint, see netq.h) */
    struct netq_sender out;  /* the VMM's rx: frames for it */
    char name[24];           /* for logs */
    uint8_t mac[6];          /* the MAC it was given (mac_filter), and a static table entry */
    bool mac_filter;         /* only `mac` is a valid source */
    bool active;             /* attached to a link */
    uint32_t reach;          /* bit p: frames may go to / come from port p */
    struct vswitch_port_stats stats; /* counters */
    struct svmm_ratelimit spoof_rl; /* the port's guest can provoke these at will */
};

/* One entry of the MAC table. */
struct vswitch_mac_entry {
    uint8_t mac[6];  /* the address */
    uint8_t port;    /* the port it is behind */
    uint8_t kind; /* 0 empty, 1 learned, 2 static */
    uint64_t seen_ns; /* when a frame from it was last seen (ageing) */
};

#define VSWITCH_SCRATCH (VSWITCH_NET_HDR + VIRTIO_NET_MAX_FRAME) /* the largest frame with its header */

/* A switch (see above): vswitch_init, ports, then vswitch_poll and vswitch_input. */
struct vswitch {
    struct vswitch_port ports[VSWITCH_MAX_PORTS]; /* ports[0 .. nports - 1] */
    unsigned nports;       /* ports declared */
    uint64_t ageing_ns;    /* how long a learned MAC stays unseen before it is forgotten */
    uint64_t learned, evicted; /* MACs learned; learned entries replaced for lack of room */
    struct vswitch_mac_entry table[VSWITCH_MAC_ENTRIES]; /* the MAC table (hashed, probed) */
    uint8_t scratch[VSWITCH_SCRATCH]; /* a private copy of a frame that must be converted */
};

/* An empty switch; learned entries age out after `ageing_ns` (0: VSWITCH_DEFAULT_AGEING_NS). */
void vswitch_init(struct vswitch *sw, uint64_t ageing_ns);

/*
 * Declare a port (not connected yet: frames to it are dropped). `mac` (NULL: none) becomes a
 * static table entry and, when `filter` is true, the only source MAC the port may use. Every port
 * reaches every other until vswitch_set_reach. Returns the port number, or -1 (too many ports, or
 * a filter without a MAC).
 */
int vswitch_add_port(struct vswitch *sw, const char *name, const uint8_t *mac, bool filter);

/*
 * Connect port `port` to a mapped link: `queues` (netq_link_queue_bytes(nbufs)), `tx_data` (the
 * VMM's buffers, read by the switch) and `rx_data` (the switch's buffers for this port), `nbufs`
 * buffers of `buf_size` bytes each way, starting from zeroed rings. -1 on a bad geometry.
 */
int vswitch_attach(struct vswitch *sw, unsigned port, void *queues, const void *tx_data, void *rx_data,
                   uint32_t nbufs, uint32_t buf_size);

/* Disconnect a port (its VMM went away): frames to it are dropped, its learned MACs forgotten. */
void vswitch_detach(struct vswitch *sw, unsigned port);

/*
 * Declare an uplink port (no source filter: whatever is behind it may use any MAC; learning as for
 * any port). It is active at once. Returns the port number or -1.
 */
int vswitch_add_uplink(struct vswitch *sw, const char *name, const struct vswitch_uplink *up);

/*
 * A frame (virtio_net_hdr first, `len` bytes in all, in the caller's private memory) arrived on
 * uplink port `port`: forward it. *notify gets the ports to notify, as for vswitch_poll.
 */
void vswitch_input(struct vswitch *sw, unsigned port, const uint8_t *frame, uint32_t len, uint64_t now_ns,
                   uint32_t *notify);

/* Restrict port `port` to exchanging frames with the ports in `mask` (bit p = port p). */
void vswitch_set_reach(struct vswitch *sw, unsigned port, uint32_t mask);

/*
 * Forward what the ports have sent, at most VSWITCH_ROUNDS bursts per port, at time `now_ns`.
 * *notify gets a bit per port whose VMM must be notified (frames delivered to it, or its tx
 * buffers returned while it waits for them). Returns true if work remains (call again), false when
 * every port's tx ring is empty and armed for a notification.
 */
bool vswitch_poll(struct vswitch *sw, uint64_t now_ns, uint32_t *notify);

/* The port a MAC was learned on (or statically belongs to) at `now_ns`, or -1. For tests and logs. */
int vswitch_lookup(const struct vswitch *sw, const uint8_t mac[6], uint64_t now_ns);

/* Log every port's counters at info level. */
void vswitch_log_stats(const struct vswitch *sw);

#endif
