/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-rng backend for the KVM platform: the host kernel's CSPRNG through getrandom(2). */
#include <errno.h>
#include <sys/random.h>
#include "rng_host.h"

size_t rng_host_fill(void *ctx, uint8_t *buf, size_t len)
{
    size_t done = 0;

    (void)ctx;
    while (done < len) {
        /* GRND_NONBLOCK: before the host pool is initialised, give the guest nothing rather than stall a vCPU. */
        ssize_t n = getrandom(buf + done, len - done, GRND_NONBLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}
