/*
 * A few SQLite connections shared by hubd's threads: a request borrows one
 * for its whole life and gives it back when it completes.  WAL lets readers
 * run together; writers queue on the busy timeout.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>

#include "hubd.h"

static struct store	*free_stores[STORE_POOL_SIZE];
static int		 nfree, nstores;
static pthread_mutex_t	 pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 pool_cond = PTHREAD_COND_INITIALIZER;

int
pool_init(const char *path, char *err, size_t errsize)
{
	struct store *st;

	for (nstores = 0; nstores < STORE_POOL_SIZE; nstores++) {
		if ((st = store_open(path, err, errsize)) == NULL) {
			pool_free();
			return -1;
		}
		free_stores[nfree++] = st;
	}
	return 0;
}

struct store *
pool_get(void)
{
	struct store *st;

	pthread_mutex_lock(&pool_lock);
	while (nfree == 0)
		pthread_cond_wait(&pool_cond, &pool_lock);
	st = free_stores[--nfree];
	pthread_mutex_unlock(&pool_lock);
	return st;
}

void
pool_put(struct store *st)
{
	if (st == NULL)
		return;
	store_rollback(st);	/* a request never leaves a transaction open */
	pthread_mutex_lock(&pool_lock);
	free_stores[nfree++] = st;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

void
pool_free(void)
{
	pthread_mutex_lock(&pool_lock);
	while (nfree > 0)
		store_close(free_stores[--nfree]);
	nstores = 0;
	pthread_mutex_unlock(&pool_lock);
}
