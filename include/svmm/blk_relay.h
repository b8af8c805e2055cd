/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver VM's block relay: the server end of blkq links (blkq.h) whose requests are carried out
 * not by the VMM but by an agent program in the VMM's guest (the driver VM), on the guest's own disk.
 * The VMM and the agent talk over a byte stream (hosted: the virtio-console port named
 * BLK_AGENT_PORT, which the stock Linux virtio_console driver exposes as /dev/vportNpM) in frames:
 *
 *   VMM -> agent: struct blk_agent_req, then `len` bytes: WRITE data, or HELLO's client name;
 *   agent -> VMM: struct blk_agent_resp, then `pad` bytes the VMM skips (a successful READ only;
 *                 else 0), then `len` bytes of data for a successful READ;
 *                 or BLK_AGENT_MAP: `len` bytes, the guest-physical pages of one of its buffers;
 *                 or BLK_AGENT_READ_BUF: a successful READ whose data is in such a buffer (no bytes follow).
 *
 * All fields little-endian, encoded and decoded byte by byte (svmm/le.h), at the offsets of the
 * structs below. The stream starts with one HELLO per client (its number, name, size in bytes and
 * read-only flag; never answered). Requests then name a client number and a byte offset inside that
 * client's partition, which blkq_server validated against the size the VMM was given. Where a
 * partition lies on the agent's disk is the driver VM's business: the agent maps each client name to
 * a byte range of its own disk (its own table) and refuses a client whose HELLO does not fit it. The
 * VMM knows nothing of the driver VM's disk layout, and a user VM knows less still.
 *
 * Trust: clients are validated by blkq_server (blkq.h), once. The agent runs in a VM, so every frame
 * it sends is validated here before anything acts on it: magic, a tag the relay has outstanding,
 * the op that tag was sent with, a known status, a length that is exactly the READ's length (OK)
 * or 0, and a pad of at most BLK_AGENT_MAX_PAD bytes, only before a successful READ's data. The
 * pad lets an agent send a READ's header and data in one piece whose data starts on a page of its
 * own (hosted: one splice, one buffer chain, instead of a write() for the header and a splice for
 * the data). The first bad frame desynchronises the stream: the relay marks the agent broken, answers
 * every outstanding and future request with BLKQ_RESP_ERR_IO, and reads nothing more from it. A
 * broken or slow agent makes requests fail or wait; it cannot make the relay touch memory outside a
 * client's data region, answer a request twice, or answer one with another's data.
 *
 * Mapped buffers. When the platform can reach the agent's guest memory (blk_relay_set_guest: the
 * driver VMM maps its guest's RAM) the HELLOs carry BLK_AGENT_HELLO_BUF, and the agent may then
 * declare up to BLK_AGENT_MAX_BUFS buffers of up to BLK_AGENT_BUF_PAGES pages each by their
 * guest-physical page addresses (MAP: `tag` the buffer's number, `len` 8 bytes per page, then the
 * little-endian addresses) and answer a READ with READ_BUF (`pad` the buffer's number, `len` the
 * READ's length): the relay copies the data from those guest pages straight into the client's
 * region, instead of the data crossing the byte stream (in the guest: a copy into fresh pages,
 * their allocation and freeing, a descriptor per page; here: a chain of a page per descriptor
 * taken apart). Each address is checked when it comes (page-aligned, a whole page of guest RAM,
 * through the platform's guest_page), and a READ_BUF must name a mapped buffer that holds the
 * READ's length; the copy reads only those pages of the guest's own RAM. The maps belong to the
 * stream: an agent restart drops them (the new agent declares its own). What the pages hold when
 * the relay copies is the agent's business, as the bytes it sends are: it must keep a buffer's
 * pages in place (pinned) and unchanged from its READ_BUF until the VMM has taken the answer. The
 * relay frees a tag only once it has taken its answer (and copied a READ_BUF's data), so a later
 * request frame with the same tag tells the agent that the buffer it answered that tag from is
 * free again.
 *
 * Order: the agent may carry out requests concurrently and answer them in any order, except that a
 * FLUSH (a client's FLUSH or BARRIER) is a barrier: the agent starts it only once every request it
 * received before it has completed, and starts nothing received after it until it has completed.
 *
 * Agent restarts. The stream is the agent's open port: when the agent's end closes (its process
 * exits or closes the port; hosted, the guest's PORT_OPEN(0) or a reset of its console), whatever was
 * on the way is lost (Linux drops a closed port's unread bytes). The platform calls
 * blk_relay_agent_closed: outbound bytes not yet taken and a half-received answer are dropped, and
 * the requests the agent held and had not answered are kept. When an agent opens the port again
 * (blk_relay_agent_opened) the stream starts afresh: the HELLOs again, then the kept requests are sent
 * again, oldest first, before any new one. Resending is safe because block requests are idempotent:
 * a READ returns the range's current contents, a WRITE stores the same bytes at the same place (a
 * write the old agent had already carried out is carried out again with the same result), a FLUSH or
 * a DISCARD done twice is done; and the client has had no answer, so it cannot have acted on the
 * first attempt (two overlapping requests in flight at once have no defined order in virtio-blk
 * either). Each request is answered exactly once: an answer can only come over the stream that
 * carried the request, and a closed stream carries nothing more. While no agent is there requests
 * wait; if none comes back within BLK_RELAY_AGENT_GRACE_MS the platform calls blk_relay_agent_lost,
 * which fails the kept requests with BLKQ_RESP_ERR_IO, and every new one until an agent opens the
 * port again. A new agent also ends a broken one's cut-off: its stream starts in step.
 *
 * Platform-free and single-threaded per relay (the platform serialises calls). The platform feeds
 * the agent's bytes to blk_relay_input and drains blk_relay_output into the stream. A platform that
 * never calls blk_relay_agent_closed gets the stream the relay has always had: HELLOs first (queued
 * by blk_relay_add_client), nothing resent.
 */
#ifndef SVMM_BLK_RELAY_H
#define SVMM_BLK_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/blk_server.h>

#define BLK_AGENT_PORT "svmm-blk" /* the virtio-console port the agent opens */
#define BLK_AGENT_MAGIC 0x6b6c6273u /* "sblk" */

/* What a frame asks (requests, VMM -> agent) or is (answers). */
enum blk_agent_op {
    BLK_AGENT_READ = 0, BLK_AGENT_WRITE = 1, BLK_AGENT_FLUSH = 2, BLK_AGENT_DISCARD = 3,
    BLK_AGENT_HELLO = 4, /* VMM -> agent only: declares a client */
    BLK_AGENT_OPS        /* the ops of requests (VMM -> agent) */
};
/* Agent -> VMM only (after a HELLO with BLK_AGENT_HELLO_BUF): declare a buffer, answer a READ from one. */
#define BLK_AGENT_MAP 5u
#define BLK_AGENT_READ_BUF 6u
#define BLK_AGENT_MAX_BUFS 32u                        /* buffer numbers 0..31 */
#define BLK_AGENT_PAGE 4096u                          /* the unit of a buffer's guest-physical pages */
#define BLK_AGENT_BUF_PAGES (BLKQ_MAX_SLOT_SIZE / BLK_AGENT_PAGE) /* a buffer holds the largest READ */
enum blk_agent_status { BLK_AGENT_OK = 0, BLK_AGENT_EIO = 1 };

#define BLK_AGENT_HELLO_RO 1u /* struct blk_agent_req.flags of a HELLO: the client may only read */
#define BLK_AGENT_HELLO_BUF 2u /* ... and the VMM takes MAP and READ_BUF frames (mapped buffers) */

/* The header of a frame from the VMM to the agent (little-endian on the stream). */
struct blk_agent_req {
    uint32_t magic;   /* BLK_AGENT_MAGIC */
    uint32_t op;      /* enum blk_agent_op */
    uint64_t offset;  /* bytes into the client's partition; HELLO: the partition's size in bytes */
    uint32_t len;     /* READ/WRITE/DISCARD: bytes; FLUSH: 0; HELLO: the name's length (1..23) */
    uint32_t tag;     /* echoed in the response; HELLO: 0 */
    uint32_t client;  /* the client's number (0..BLK_SERVER_MAX_CLIENTS-1), as its HELLO declared it */
    uint32_t flags;   /* HELLO: BLK_AGENT_HELLO_RO or 0; else 0 */
};

/* The header of a frame from the agent to the VMM (little-endian on the stream). */
struct blk_agent_resp {
    uint32_t magic;   /* BLK_AGENT_MAGIC */
    uint32_t op;      /* the request's; or BLK_AGENT_MAP, BLK_AGENT_READ_BUF */
    uint32_t status;  /* enum blk_agent_status (MAP, READ_BUF: OK) */
    uint32_t len;     /* data bytes that follow: the READ's len when OK, else 0; MAP: 8 per page;
                       * READ_BUF: the READ's len, none follow */
    uint32_t tag;     /* MAP: the buffer's number */
    uint32_t pad;     /* bytes between this header and the READ's data, skipped: <= BLK_AGENT_MAX_PAD, 0 unless len > 0;
                       * READ_BUF: the number of the buffer holding the data; MAP: 0 */
};

/* The most padding an answer may carry: a header and its padding fill one 4 KiB page. */
#define BLK_AGENT_MAX_PAD (4096u - 24u)

_Static_assert(sizeof(struct blk_agent_req) == 32 && sizeof(struct blk_agent_resp) == 24, "frame headers");

/* Requests in flight at the agent (all clients together), and the outbound buffer. */
#define BLK_RELAY_MAX_TAGS 64u
#define BLK_RELAY_OUT_BYTES (2u << 20)
/* How long requests wait for an agent that closed its port to come back before they fail. */
#define BLK_RELAY_AGENT_GRACE_MS 30000u

/* A request in flight at the agent. */
struct blk_relay_tag {
    bool busy;          /* this tag holds a request */
    uint8_t client;     /* whose it is */
    uint8_t op;         /* enum blk_agent_op */
    uint32_t id;        /* the client's request id (blkq_server_respond) */
    bool orphan;        /* the client detached: the answer and its data are dropped */
    /* READ: where the data goes; WRITE: where it is (both in the client's data region); else or orphan NULL */
    uint8_t *data;
    uint32_t len;       /* bytes of data */
    bool sent;          /* on the current stream; a busy tag not sent waits to be sent again (restart) */
    uint64_t offset;    /* bytes into the client's partition (kept to send the request again) */
    uint64_t seq;       /* the order requests were first taken in: kept ones go again oldest first */
};

/* A buffer the agent declared (MAP): its pages in the VMM's mapping of guest RAM, each BLK_AGENT_PAGE bytes. */
struct blk_relay_buf {
    uint32_t npages;  /* 0: not mapped (or being mapped) */
    const uint8_t *page[BLK_AGENT_BUF_PAGES]; /* its pages, in order */
};

/* Counters of a relay, over every boot of its VM (logged at the final stop). */
struct blk_relay_stats {
    uint64_t requests, responses, io_errors; /* requests taken for the agent; answers given to clients, and of those the I/O errors */
    uint64_t maps, mapped_reads; /* MAP frames taken, READ answers copied from mapped buffers */
    uint64_t bad_frames;  /* frames from the agent that failed validation (the first breaks it) */
    uint64_t agent_closes; /* times the agent's end of the stream closed (blk_relay_agent_closed) */
    uint64_t resent;      /* requests sent again to a new agent */
};

/* A driver VM's block relay (see above): blk_relay_init, clients, then the stream calls. */
struct blk_relay {
    /*
     * The clients: names, sizes, checks, links (its store ops are unused). Client i's partition is
     * placed at a made-up base (the sizes of clients 0..i-1 added up) only so that blk_server's
     * overlap rule holds; the base never leaves the relay.
     */
    struct blk_server srv;
    uint64_t next_base;           /* the made-up base of the next client (above) */
    struct blk_relay_tag tags[BLK_RELAY_MAX_TAGS]; /* requests in flight at the agent */
    unsigned ntags_busy;          /* tags in use */
    unsigned next;                /* round robin over clients */
    bool agent_broken;            /* the agent sent a frame that failed validation: it is not trusted until it reopens */
    bool agent_away;              /* the agent's end closed and no agent has opened it since */
    bool agent_lost;              /* ... for longer than the grace: requests fail until one opens it */
    unsigned nheld;               /* busy tags not sent on the current stream (kept across a restart) */
    uint64_t next_seq;            /* the seq of the next request taken */
    /* outbound: a byte FIFO of frames not yet taken by the stream */
    uint8_t out[BLK_RELAY_OUT_BYTES];
    size_t out_head, out_len;
    /* inbound: the frame being received */
    uint8_t in[sizeof(struct blk_agent_resp)]; /* the header as received (decoded with le.h) */
    size_t in_got;                /* header bytes received (< sizeof hdr), then data bytes */
    bool in_data;                 /* the header is complete and validated: receiving data */
    uint32_t in_pad_left;         /* padding bytes still to skip before the data */
    uint32_t in_data_got;         /* data bytes of the frame received so far */
    uint8_t in_gpa[8];            /* MAP: the page address being received */
    uint32_t in_gpa_got;          /* ... its bytes so far (< 8) */
    /* Mapped buffers: the platform's view of guest RAM (NULL: none, the HELLOs do not offer them) */
    const uint8_t *(*guest_page)(void *ctx, uint64_t gpa);
    void *guest_ctx;              /* passed to guest_page */
    struct blk_relay_buf bufs[BLK_AGENT_MAX_BUFS]; /* the buffers the agent declared */
    struct blk_relay_stats stats; /* counters */
    uint32_t notify;              /* clients answered since the last blk_relay_take_notify */
};

/* An empty relay. */
void blk_relay_init(struct blk_relay *r);

/*
 * Offer mapped buffers (see above): guest_page(ctx, gpa) returns the VMM's pointer to the
 * BLK_AGENT_PAGE bytes of guest RAM at page-aligned `gpa`, or NULL if they are not all guest RAM;
 * the pointers must stay valid while the relay lives. Call before blk_relay_add_client (the HELLOs
 * carry the offer).
 */
void blk_relay_set_guest(struct blk_relay *r, const uint8_t *(*guest_page)(void *ctx, uint64_t gpa), void *ctx);

/*
 * Declare a client: a partition of `size` bytes (a multiple of 512) that the agent knows by `name`
 * (1..23 bytes, unique), and queue its HELLO. Its number, or -1 with a one-line reason in err.
 * Call before any request is pumped, so the HELLOs lead the stream.
 */
int blk_relay_add_client(struct blk_relay *r, const char *name, uint64_t size, bool read_only, char *err,
                         size_t errlen);

/* Attach client i to a mapped link (blk_server_attach). -1 on a bad geometry or an attached client. */
int blk_relay_attach(struct blk_relay *r, unsigned i, void *queues, void *data, uint32_t depth, uint32_t slot_size);

/*
 * Client i's link is gone (its regions may be unmapped next): its requests still at the agent become
 * orphans, whose answers and data are dropped when they come; their tags stay busy until then. Its
 * requests kept for a new agent (not on the stream) are dropped at once.
 */
void blk_relay_detach(struct blk_relay *r, unsigned i);

/*
 * Take validated client requests and queue them as frames for the agent, while tags and outbound
 * room last (bounded: at most BLK_RELAY_MAX_TAGS per call). Returns true if a client may have more.
 */
bool blk_relay_pump(struct blk_relay *r);

/* The outbound bytes waiting for the stream (contiguous run), and consume `n` of them once written. */
const uint8_t *blk_relay_output(const struct blk_relay *r, size_t *len);
void blk_relay_consume(struct blk_relay *r, size_t n);

/* The agent sent `len` bytes: validate and act on whole frames (any split is fine). */
void blk_relay_input(struct blk_relay *r, const uint8_t *buf, size_t len);

/* Bit i set: client i got answers and must be signalled if it asked (blkq_must_notify applied). Clears. */
uint32_t blk_relay_take_notify(struct blk_relay *r);

/*
 * The agent's end of the stream closed (see "Agent restarts" above): drop the outbound bytes and a
 * half-received answer, keep the requests the agent held to send them again, take no new ones and
 * read nothing until blk_relay_agent_opened. Requests of detached clients are dropped now. Calling
 * it again while the agent is away does nothing more.
 */
void blk_relay_agent_closed(struct blk_relay *r);

/*
 * An agent opened the port after blk_relay_agent_closed: queue every client's HELLO, then (through
 * blk_relay_pump) the kept requests, oldest first, then new ones. Ends a cut-off (agent_broken) and
 * agent_lost. Does nothing unless the agent was away (the first open needs no call).
 */
void blk_relay_agent_opened(struct blk_relay *r);

/*
 * The agent has been away for BLK_RELAY_AGENT_GRACE_MS (the platform's clock): answer the kept
 * requests with BLKQ_RESP_ERR_IO, and each new request likewise while it stays away. Does nothing
 * unless the agent is away.
 */
void blk_relay_agent_lost(struct blk_relay *r);

#endif
