/*
 * roster.c: course rosters as LMSs export them (CSV), and the roster
 * export.  Temporary header: these prototypes move into hubd.h under a
 * "roster.c" heading.
 */
#ifndef ROSTER_H
#define ROSTER_H

#include <stddef.h>

#include "hubd.h"

#define ROSTER_MAX_BYTES	(16u * 1024 * 1024)	/* the whole file */
#define ROSTER_MAX_ROWS		100000u		/* people, header excluded */
#define ROSTER_MAX_FIELD	(64u * 1024)	/* one cell, in bytes */
#define ROSTER_MAX_COLUMNS	4096u		/* gradebooks are wide */
#define ROSTER_NAME_MAX		256	/* bytes of a normalized full name */
#define ROSTER_EMAIL_MAX	254	/* RFC 5321 path limit */
#define ROSTER_SECTION_MAX	128
#define ROSTER_ERR_MAX		512	/* room for any roster error message */

/* A person's role in one course (not their hub account role). */
enum roster_role {
	ROSTER_STUDENT = 0,
	ROSTER_TA,
	ROSTER_INSTRUCTOR,
};

enum roster_format {
	ROSTER_PLAIN = 0,
	ROSTER_CANVAS_GRADEBOOK,
	ROSTER_CANVAS_PEOPLE,
	ROSTER_MOODLE,
	ROSTER_BLACKBOARD,
};

struct roster_opts {
	/*
	 * NULL: a user name with '@' is an error.  A domain ("uni.edu"):
	 * "alice@uni.edu" becomes "alice", any other domain is an error.
	 * "*": the part before '@' is kept whatever the domain.
	 */
	const char	*strip_domain;
};

struct roster_row {
	unsigned	 line;		/* where the record starts, from 1 */
	char		 username[USERNAME_MAX + 1];	/* username_valid() */
	const char	*full_name;	/* UTF-8, one line; may be "" */
	const char	*email;		/* may be "" */
	enum roster_role role;
	const char	*section;	/* NULL: none given */
};

/* Strings of the rows point into the roster; roster_free() frees all. */
struct roster {
	enum roster_format format;
	char		 sep;		/* ',', ';' or '\t' as detected */
	size_t		 nrows;
	struct roster_row *rows;	/* in file order */
	char		*strings;	/* owns the rows' strings */
};

struct roster	*roster_parse(const char *, size_t, const struct roster_opts *,
		    char *, size_t);
void		 roster_free(struct roster *);
const char	*roster_format_name(enum roster_format);
const char	*roster_role_name(enum roster_role);
int		 roster_csv_cell_safe(struct buf *, const char *);
int		 roster_export_header(struct buf *);
int		 roster_export_row(struct buf *, const struct roster_row *);
int		 roster_export(struct buf *, const struct roster *);
int		 roster_links_header(struct buf *);
int		 roster_links_row(struct buf *, const struct roster_row *,
		    const char *, time_t);

/* Courses (store.c, courses.c). */
#define COURSE_CODE_MAX		32
#define COURSE_TITLE_MAX	200
#define COURSE_TERM_MAX		64
#define PROFILE_NAME_MAX	32
#define JOIN_CODE_LEN		10

struct course {
	int64_t		 id;
	char		 code[COURSE_CODE_MAX + 1];
	char		 title[COURSE_TITLE_MAX + 1];
	char		 term[COURSE_TERM_MAX + 1];
	int		 archived;
	char		 profile[PROFILE_NAME_MAX + 1];
	time_t		 created;
	char		 join_code[JOIN_CODE_LEN + 1];	/* "" none */
	time_t		 join_expires;	/* 0: does not expire */
	int		 my_role;	/* enum roster_role in lists; -1 none */
};

struct enrollment {
	int64_t		 user_id;
	char		 user[USERNAME_MAX + 1];
	char		 full_name[ROSTER_NAME_MAX + 1];
	char		 email[ROSTER_EMAIL_MAX + 1];
	int		 disabled;
	enum roster_role role;
	char		 section[ROSTER_SECTION_MAX + 1];
	time_t		 added, dropped;	/* dropped 0: active */
};

typedef int (*store_course_cb)(const struct course *, void *);
typedef int (*store_enroll_cb)(const struct enrollment *, void *);

int		 store_course_add(struct store *, struct course *);
int		 store_course_get(struct store *, const char *, struct course *);
int		 store_course_get_id(struct store *, int64_t, struct course *);
int		 store_course_update(struct store *, const struct course *);
int		 store_course_by_join(struct store *, const char *,
		    struct course *);
int		 store_course_list(struct store *, int64_t, store_course_cb,
		    void *);
int		 store_enroll_get(struct store *, int64_t, int64_t,
		    struct enrollment *);
int		 store_enroll_put(struct store *, int64_t,
		    const struct enrollment *);
int		 store_enroll_list(struct store *, int64_t, store_enroll_cb,
		    void *);
int		 store_enroll_active(struct store *, int64_t, int64_t *);
int		 store_user_contact(struct store *, int64_t, const char *,
		    const char *);
int		 store_teaches(struct store *, int64_t, int64_t);

/* What a user may do in a course. */
enum course_access {
	ACC_NONE = 0,
	ACC_STUDENT,
	ACC_TA,
	ACC_INSTRUCTOR,
	ACC_ADMIN,
};

/* courses.c */
enum course_access course_access_of(struct store *, const struct user *,
		    const char *, struct course *, int *);
const char	*course_access_name(enum course_access);
int		 course_servers_all(struct store *, const struct course *, int,
		    int (*)(const char *, void *), void *, unsigned *);
int		 course_join(struct store *, const struct user *, const char *,
		    struct course *, char *, size_t);
int		 enrollment_export(const struct enrollment *, void *);

/* pages_courses.c */
enum MHD_Result	 page_courses(struct request *, const char *);
enum MHD_Result	 page_admin(struct request *);
int		 multipart_xsrf_ok(struct request *);
/* A link made by an import for a new account (row: its index in the
 * roster imported). */
struct import_link {
	size_t		 row;
	char		 token[SECRET_HEX + 1];
	time_t		 expires;
};

struct import_result {
	enum roster_format format;
	size_t		 rows;
	size_t		 created, enrolled, updated, unchanged, dropped;
	size_t		 disabled;
	struct buf	 log;		/* one "action user" line each change */
	struct buf	 passwords;	/* "user,one-time password" lines */
	struct import_link *links;	/* instead, with links */
	size_t		 nlinks, links_size;
};

int		 course_role_parse(const char *, enum roster_role *);
int		 course_import(struct store *, const struct course *,
		    const struct roster *, int, int, enum auth_kind, unsigned,
		    const char *, struct import_result *, char *, size_t);
void		 import_result_free(struct import_result *);
int		 course_enroll(struct store *, const struct course *,
		    const struct user *, enum roster_role, const char *,
		    char *, size_t);

#endif /* ROSTER_H */
