/*
 * Kubernetes quantities ("500m", "64Mi", "1.5", "1e3") as thousandths of a
 * unit, the precision the API keeps; a finer fraction rounds up, as the
 * API server's does. 128-bit arithmetic keeps every step exact, and a
 * result beyond int64 is QUANTITY_RANGE, never a wrap.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "parser.h"

#define QTY_MAX_DIGITS	30	/* significant digits kept */
#define QTY_EXP_CLAMP	1000	/* beyond this an exponent changes nothing */

typedef unsigned __int128 u128;

static const struct {
	const char	*suffix;
	int		 exp10;
	int		 exp2;
} suffixes[] = {
	{ "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 }, { "Ti", 0, 40 },
	{ "Pi", 0, 50 }, { "Ei", 0, 60 }, { "n", -9, 0 }, { "u", -6, 0 },
	{ "m", -3, 0 }, { "", 0, 0 }, { "k", 3, 0 }, { "M", 6, 0 },
	{ "G", 9, 0 }, { "T", 12, 0 }, { "P", 15, 0 }, { "E", 18, 0 },
};

/* [+-]digits; a huge exponent is clamped, its effect is the same. */
static int
parse_exponent(const char *s, int *exp)
{
	int	neg = 0, v = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v < QTY_EXP_CLAMP)
			v = v * 10 + (*s - '0');
	}
	*exp = neg ? -v : v;
	return 0;
}

static int
parse_suffix(const char *s, int *exp10, int *exp2)
{
	size_t i;

	/* the table first: "E" and "Ei" are suffixes, "e3" an exponent */
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (strcmp(s, suffixes[i].suffix) == 0) {
			*exp10 = suffixes[i].exp10;
			*exp2 = suffixes[i].exp2;
			return 0;
		}
	if (*s == 'e' || *s == 'E') {
		*exp2 = 0;
		return parse_exponent(s + 1, exp10);
	}
	return -1;
}

int
quantity_parse(const char *s, int64_t *milli)
{
	u128	 v = 0, limit = (u128)1 << 100, pow;
	int	 digits = 0, frac = 0, exp10, exp2;
	bool	 neg = false, in_frac = false, any = false, range = false;
	bool	 sticky = false;	/* a dropped fraction digit was not 0 */

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; (*s >= '0' && *s <= '9') || *s == '.'; s++) {
		if (*s == '.') {
			if (in_frac)
				return -1;
			in_frac = true;
			continue;
		}
		any = true;
		if (v == 0 && *s == '0' && !in_frac)
			continue;	/* leading zeros cost no precision */
		if (digits == QTY_MAX_DIGITS) {
			/* 31 whole digits exceed int64 whatever the suffix */
			if (!in_frac)
				range = true;
			sticky |= *s != '0';
			continue;
		}
		digits++;
		v = v * 10 + (u128)(*s - '0');
		frac += in_frac;
	}
	if (!any)
		return -1;
	if (parse_suffix(s, &exp10, &exp2) == -1)
		return -1;
	if (v == 0 && !sticky) {
		*milli = 0;
		return 0;
	}
	if (range)
		return QUANTITY_RANGE;
	exp10 += 3 - frac;
	for (; exp2 > 0; exp2--)
		if ((v <<= 1) > limit)
			return QUANTITY_RANGE;
	for (; exp10 > 0; exp10--)
		if ((v *= 10) > limit)
			return QUANTITY_RANGE;
	if (exp10 < 0) {
		for (pow = 1; exp10 < 0 && pow < limit; exp10++)
			pow *= 10;
		if (exp10 < 0)
			v = 1;	/* below a thousandth: rounds up to one */
		else
			v = v / pow + (v % pow != 0 || sticky);
	} else if (sticky)
		v++;
	if (v > (u128)INT64_MAX)
		return QUANTITY_RANGE;
	*milli = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}
