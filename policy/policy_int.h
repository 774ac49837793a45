/*
 * Private to policy/: what compile.c and admission.c share.
 */
#ifndef STATICPODD_POLICY_INT_H
#define STATICPODD_POLICY_INT_H

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* net/ipv4/ip_forward is net.ipv4.ip_forward, as Kubernetes reads it. */
void	policy_sysctl_normalize(char *);

#endif
