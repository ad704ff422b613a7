/* FNV-1a and a murmur3-style 32-bit hash of generated data.
 * usage: hash [LEN [ROUNDS]]  (defaults: LEN = 1000, ROUNDS = 4) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void generate(uint8_t *buf, size_t len, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1u;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
}

NOINLINE static uint32_t fnv1a(const uint8_t *p, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

NOINLINE static uint32_t fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

NOINLINE static uint32_t murmur3(const uint8_t *p, size_t len, uint32_t seed) {
  const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
  uint32_t h = seed;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t k = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
    k = rotl(k * c1, 15) * c2;
    h = rotl(h ^ k, 13) * 5u + 0xe6546b64u;
  }
  uint32_t k = 0;
  switch (len & 3) {
    case 3: k ^= (uint32_t)p[i + 2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[i + 1] << 8;  /* fall through */
    case 1: k ^= p[i]; h ^= rotl(k * c1, 15) * c2;
  }
  return fmix(h ^ (uint32_t)len);
}

int main(int argc, char **argv) {
  size_t len = argc > 1 ? (size_t)atoi(argv[1]) : 1000;
  int rounds = argc > 2 ? atoi(argv[2]) : 4;
  uint8_t *buf = malloc(len + 1);
  if (!buf) return 2;
  uint32_t combined = 0;
  for (int r = 0; r < rounds; r++) {
    generate(buf, len, (uint32_t)r);
    uint32_t f = fnv1a(buf, len), m = murmur3(buf, len, (uint32_t)r);
    combined = fmix(combined ^ f ^ m);
    printf("round %d: fnv1a=%08x murmur3=%08x\n", r, f, m);
  }
  printf("combined=%08x\n", combined);
  free(buf);
  return 0;
}
