/* SPDX-License-Identifier: BSD-2-Clause */
/* arm64's kernel image format for the core's boot planning: the arm64 Image (core/boot.c). */
#include <svmm/arch.h>
#include <svmm/boot.h>

int svmm_arch_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out)
{
    return svmm_arm64_image_parse(buf, len, out);
}

const char *svmm_arch_image_strerror(int err)
{
    return svmm_arm64_image_strerror(err);
}
