/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console (VirtIO 1.2 section 5.3): port 0 is the console (hvc0), plus emergency write.
 *
 * With extra ports (virtio_console_add_port) or virtio_console_offer_multiport(), the device offers
 * VIRTIO_CONSOLE_F_MULTIPORT: max_nr_ports = the ports configured; queues 0/1 are port 0's rx/tx,
 * 2/3 the control rx/tx, port i's rx/tx are 2+2i and 3+2i. The control protocol (5.3.6.2):
 *   driver -> device: DEVICE_READY, PORT_READY, PORT_OPEN (each validated: an 8-byte message, port id
 *                     below max_nr_ports, a known event, value 0 or 1; anything else is dropped and
 *                     counted in ctrl_errors);
 *   device -> driver: DEVICE_ADD for every port once the driver is ready; CONSOLE_PORT (port 0),
 *                     PORT_NAME (named ports: /sys/class/virtio-ports/vportNpM/name) and
 *                     PORT_OPEN(1) (the host side is always connected) when a port is ready.
 * A driver that does not accept MULTIPORT gets the single-port device (queues 0 and 1 only).
 */
#ifndef SVMM_VIRTIO_CONSOLE_H
#define SVMM_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <svmm/virtio.h>

/* Feature bits (5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Ports a device can have: every port needs two queues, the control channel two more. */
#define VIRTIO_CONSOLE_MAX_PORTS ((VIRTIO_MAX_QUEUES - 2) / 2)
#define VIRTIO_CONSOLE_NAME_MAX 63 /* bytes of a port name (PORT_NAME payload) */

/* Control events (struct virtio_console_control.event). */
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7
#define VIRTIO_CONSOLE_CTRL_SIZE 8 /* le32 id, le16 event, le16 value */

/* Queue numbers of the control channel (MULTIPORT): device to driver, driver to device. */
#define VIRTIO_CONSOLE_CTRL_RXQ 2
#define VIRTIO_CONSOLE_CTRL_TXQ 3
/* Queue numbers of port p (p < VIRTIO_CONSOLE_MAX_PORTS). */
#define VIRTIO_CONSOLE_PORT_RXQ(p) ((p) == 0 ? 0u : 2u + 2u * (p))
#define VIRTIO_CONSOLE_PORT_TXQ(p) (VIRTIO_CONSOLE_PORT_RXQ(p) + 1u)

/*
 * Where guest output goes: write() must consume all `len` bytes (it may drop them if it must).
 * rx_ready (optional, may be NULL): the port may take input it could not take before (the driver
 * posted receive buffers on the port's receive queue, or an application opened the port).
 * closed (optional, may be NULL): the application in the guest that had the port open closed it or
 * exited (PORT_OPEN(0)), or the device was reset while the port was open; Linux drops what was
 * delivered and not yet read, so a protocol on the port starts again with the next open (rx_ready).
 * All are called from inside the device (under the platform's device lock): they must not call
 * back into the device, only note the event or wake whoever delivers input.
 * rx_batch (optional, 0 or 1 = every buffer): when input runs out of receive buffers, have the
 * driver notify (and rx_ready be called) only once it has posted this many more (at most half the
 * queue). For bulk streams whose driver re-posts each buffer it has read (Linux's virtio_console
 * does, a page at a time): one notification per batch instead of one per page. A driver may post
 * fewer, so such a backend also retries input now and then on its own.
 */
struct virtio_console_backend {
    void (*write)(void *ctx, const uint8_t *buf, size_t len); /* guest output (above) */
    void *ctx;                   /* passed to the callbacks */
    void (*rx_ready)(void *ctx); /* more input may be taken now (above) */
    void (*closed)(void *ctx);   /* the guest closed the port (above) */
    uint16_t rx_batch;           /* receive buffers per notification when input waits (above) */
};

/* One port of the device. */
struct virtio_console_port {
    struct virtio_console_backend backend; /* where its output goes */
    char name[VIRTIO_CONSOLE_NAME_MAX + 1]; /* "" for none */
    bool ready;      /* the driver sent PORT_READY(1) */
    bool guest_open; /* the driver sent PORT_OPEN(1) (an application has the port open) */
    uint64_t tx_bytes, rx_bytes; /* bytes the guest wrote / was given on it */
};

/* A device->driver control message waiting for a control receive buffer. */
struct virtio_console_ctrl_msg {
    uint32_t id;           /* the port */
    uint16_t event, value; /* VIRTIO_CONSOLE_* event and its value */
};

#define VIRTIO_CONSOLE_CTRL_PENDING (4 * VIRTIO_CONSOLE_MAX_PORTS + 4) /* control messages that may wait */

/* A virtio-console device (virtio_console_init; attach `dev` to a virtio slot). */
struct virtio_console {
    struct virtio_dev dev; /* the device as the transport sees it */
    struct virtio_console_backend backend; /* port 0's (kept for existing users) */
    struct virtio_console_port ports[VIRTIO_CONSOLE_MAX_PORTS]; /* ports[0 .. nports - 1] */
    unsigned nports;        /* ports the device has */
    bool multiport_offered; /* MULTIPORT is offered */
    bool driver_ready; /* DEVICE_READY(1) received */
    struct virtio_console_ctrl_msg pending[VIRTIO_CONSOLE_CTRL_PENDING]; /* device->driver messages waiting, a ring */
    unsigned pending_head, pending_count; /* its oldest entry and its length */
    uint64_t ctrl_errors;  /* control messages from the driver that were dropped as invalid */
    uint64_t ctrl_dropped; /* device->driver messages lost because the pending queue was full */
    /* Rate limits of this device's warnings: control queue full, bad control buffer, bad message. */
    struct svmm_ratelimit ctrl_full_rl, ctrl_buf_rl, ctrl_reject_rl;
    struct virtq_chain chain; /* scratch for the chain being processed */
};

/* Initialise the device (in reset state) with port 0's output backend; single-port until told otherwise. */
void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *backend);

/* Offer VIRTIO_CONSOLE_F_MULTIPORT even with port 0 only (call before the VM starts). */
void virtio_console_offer_multiport(struct virtio_console *c);

/*
 * Add port number c->nports (>= 1) named `name` (1..VIRTIO_CONSOLE_NAME_MAX bytes, NUL-terminated)
 * with its own backend; offers MULTIPORT. Returns the port number, or -1 when the device is full or
 * the name is empty or too long. Call before the VM starts.
 */
int virtio_console_add_port(struct virtio_console *c, const char *name, const struct virtio_console_backend *backend);

/* True when the guest driver is up and port 0 input can be delivered. */
bool virtio_console_input_ready(const struct virtio_console *c);

/*
 * Deliver host input to port 0: fills receive buffers the driver posted and returns how many
 * bytes were taken (less than len when the driver has no more buffers; retry later).
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len);

/*
 * The same for any port. A port above 0 takes input only while MULTIPORT is negotiated, the driver
 * made the port ready and an application in the guest has it open (Linux drops data for a closed
 * port); until then port_ready is false and input returns 0. When input returns less than len, the
 * device has asked the driver to notify it of new receive buffers, and the port's rx_ready is
 * called when it does.
 */
bool virtio_console_port_ready(const struct virtio_console *c, unsigned port);
size_t virtio_console_port_input(struct virtio_console *c, unsigned port, const uint8_t *buf, size_t len);

#endif
