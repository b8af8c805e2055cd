/* SPDX-License-Identifier: BSD-2-Clause */
/* Checksum completion and TCP segmentation in software (net_offload.h). */
#include <string.h>
#include <svmm/net_offload.h>

#define ETH_HDR 14u
#define VLAN_HDR 4u
#define ETH_P_IP 0x0800u
#define ETH_P_IPV6 0x86ddu
#define ETH_P_8021Q 0x8100u
#define IPPROTO_TCP 6u
#define TCP_FIN 0x01u
#define TCP_PSH 0x08u
#define TCP_CWR 0x80u

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* One's-complement sum of big-endian 16-bit words; n <= 64 KiB keeps it within 32 bits. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += get16(p + i);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* The finished checksum; 0 is sent as 0xffff, which means the same and is never "no checksum" (UDP). */
static uint16_t csum_final(uint32_t sum)
{
    uint16_t c = (uint16_t)~csum_fold(sum);
    return c ? c : 0xffff;
}

int net_offload_csum(uint8_t *frame, size_t len, uint16_t csum_start, uint16_t csum_offset)
{
    size_t field = (size_t)csum_start + csum_offset;

    if (csum_start >= len || field + 2 > len)
        return -1;
    /* The field holds the sender's pseudo-header sum: it is part of what is summed. */
    put16(frame + field, csum_final(csum_add(0, frame + csum_start, len - csum_start)));
    return 0;
}

int net_tso_init(struct net_tso *t, const uint8_t *frame, size_t len, const struct virtio_net_hdr *h)
{
    uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    size_t l3 = ETH_HDR, l4;
    uint16_t proto;

    memset(t, 0, sizeof(*t));
    if (len < ETH_HDR || h->gso_size == 0 ||
        (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6))
        return -1;
    proto = get16(frame + 12);
    if (proto == ETH_P_8021Q) {
        if (len < ETH_HDR + VLAN_HDR)
            return -1;
        proto = get16(frame + 16);
        l3 += VLAN_HDR;
    }
    if (proto == ETH_P_IP && type == VIRTIO_NET_HDR_GSO_TCPV4) {
        size_t ihl;
        if (l3 + 20 > len || frame[l3] >> 4 != 4 || frame[l3 + 9] != IPPROTO_TCP)
            return -1;
        ihl = (size_t)(frame[l3] & 0xf) * 4;
        if (ihl < 20)
            return -1;
        l4 = l3 + ihl;
    } else if (proto == ETH_P_IPV6 && type == VIRTIO_NET_HDR_GSO_TCPV6) {
        /* Extension headers would have to be walked: not handled, refused. */
        if (l3 + 40 > len || frame[l3] >> 4 != 6 || frame[l3 + 6] != IPPROTO_TCP)
            return -1;
        t->ipv6 = true;
        l4 = l3 + 40;
    } else {
        return -1;
    }
    if (l4 + 20 > len || (size_t)(frame[l4 + 12] >> 4) * 4 < 20 || l4 + (size_t)(frame[l4 + 12] >> 4) * 4 > len)
        return -1;
    t->frame = frame;
    t->len = len;
    t->l3 = l3;
    t->l4 = l4;
    t->hdrs = l4 + (size_t)(frame[l4 + 12] >> 4) * 4;
    t->mss = h->gso_size;
    t->next = t->hdrs;
    return 0;
}

/* The TCP checksum of a segment: pseudo-header, then the TCP header and payload at `tcp`. */
static uint16_t tcp_csum(const struct net_tso *t, const uint8_t *seg, size_t tcp_len)
{
    uint32_t sum;

    if (t->ipv6)
        sum = csum_add(0, seg + t->l3 + 8, 32) + (uint32_t)(tcp_len >> 16) + (uint32_t)(tcp_len & 0xffff) + IPPROTO_TCP;
    else
        sum = csum_add(0, seg + t->l3 + 12, 8) + IPPROTO_TCP + (uint32_t)tcp_len;
    return csum_final(csum_add(sum, seg + t->l4, tcp_len));
}

size_t net_tso_next(struct net_tso *t, uint8_t *out, size_t cap)
{
    size_t plen, seglen, tcp_len;
    bool first, last;

    if (t->frame == NULL || t->next >= t->len)
        return 0;
    plen = t->len - t->next < t->mss ? t->len - t->next : t->mss;
    seglen = t->hdrs + plen;
    if (seglen > cap)
        return 0;
    first = t->index == 0;
    last = t->next + plen >= t->len;
    /* Invariant: hdrs + plen == seglen <= cap, and next + plen <= len. */
    memcpy(out, t->frame, t->hdrs);
    memcpy(out + t->hdrs, t->frame + t->next, plen);
    tcp_len = seglen - t->l4;
    if (t->ipv6) {
        put16(out + t->l3 + 4, (uint16_t)tcp_len);
    } else {
        size_t ihl = t->l4 - t->l3;
        put16(out + t->l3 + 2, (uint16_t)(seglen - t->l3));
        put16(out + t->l3 + 4, (uint16_t)(get16(t->frame + t->l3 + 4) + t->index));
        put16(out + t->l3 + 10, 0);
        put16(out + t->l3 + 10, (uint16_t)~csum_fold(csum_add(0, out + t->l3, ihl)));
    }
    put32(out + t->l4 + 4, get32(t->frame + t->l4 + 4) + (uint32_t)(t->next - t->hdrs));
    if (!last)
        out[t->l4 + 13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
    if (!first)
        out[t->l4 + 13] &= (uint8_t)~TCP_CWR;
    put16(out + t->l4 + 16, 0);
    put16(out + t->l4 + 16, tcp_csum(t, out, tcp_len));
    t->next += plen;
    t->index++;
    return seglen;
}
