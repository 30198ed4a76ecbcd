/*
 * The Internet checksum's partial sum over a byte range (RFC 1071), for modXstcpNative.c; no XS here.
 *
 * RFC 1071 §2(B): the one's complement sum is independent of byte order, so the bytes are summed as
 * native-order words and the folded result is byte-swapped once at the end on a little-endian CPU
 * (the ESP32's Xtensa cores and x86-64 both are). §2(A): any word size works with end-around carry,
 * so 32-bit words go into a 64-bit accumulator that cannot overflow for any length that fits in
 * memory (2^32 words of 2^32 - 1 each).
 */
#ifndef XSTCP_SUM_H
#define XSTCP_SUM_H

#include <stdint.h>
#include <string.h>

static inline uint32_t xstcp_fold16(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/*
 * Adds the `length` bytes at `p` as big-endian 16-bit words (a trailing odd byte is the high byte of
 * a word) to the partial sum `initial` and returns the sum folded to 16 bits with end-around carry,
 * not complemented. Works at any alignment (memcpy loads: one instruction where the CPU allows).
 */
static inline uint32_t xstcp_sum(const uint8_t *p, uint32_t length, uint32_t initial)
{
	uint64_t acc = 0;
	uint32_t s;
	while (length >= 16) {
		uint32_t w[4];
		memcpy(w, p, 16);
		acc += (uint64_t)w[0] + w[1] + w[2] + w[3];
		p += 16;
		length -= 16;
	}
	while (length >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		length -= 4;
	}
	if (length >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		length -= 2;
	}
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
	if (length)
		acc += (uint32_t)p[0] << 8;
	s = xstcp_fold16(acc);
#else
	if (length)
		acc += p[0];		/* byte 0 of a native little-endian word: the high byte once swapped */
	s = xstcp_fold16(acc);
	s = ((s & 0xff) << 8) | (s >> 8);
#endif
	return xstcp_fold16((uint64_t)s + initial);
}

#endif
