/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "tap.h"

int tap_open_vnet(const char *ifname, const char *what, char *err, size_t errlen)
{
    struct ifreq ifr;
    int sz = 12, le = 1;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open /dev/net/tun: %s (load the tun module: modprobe tun)", what,
                 strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        snprintf(err, errlen, "%s: cannot attach to tap %s: %s%s", what, ifname, strerror(errno),
                 errno == EPERM ? " (needs CAP_NET_ADMIN, or a tap created for this user: ip tuntap add ... user U)"
                 : errno == EINVAL || errno == EBUSY ? " (is it a tap device, or in use?)" : "");
        close(fd);
        return -1;
    }
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(fd, TUNSETVNETLE, &le) < 0) {
        snprintf(err, errlen, "%s: tap %s: cannot set a 12-byte little-endian virtio header: %s", what, ifname,
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
