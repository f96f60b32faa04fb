/*
 * Shared by the libFuzzer targets: an invariant that fails aborts, so
 * libFuzzer keeps the input as a crash artifact like any memory error.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define GUARD	'\x5a'	/* fills a byte that must stay untouched */

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* data as a NUL-terminated string (stops at the first NUL, as C code that
 * receives a header or a file as a string would). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s;
	size_t	 n = 0;

	while (n < size && data[n] != 0)
		n++;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		s[i] = (char)data[i];
	s[n] = '\0';
	return s;
}

#endif /* FUZZ_H */
