/* evquic: a thin, flat layer over ngtcp2 0.12 + GnuTLS for EdgeVoice's tunnel.
 * It owns everything struct- and callback-heavy (ngtcp2_settings, transport params, the callbacks
 * table, the crypto conn_ref, GnuTLS session set-up) so the C# side binds a dozen flat functions.
 * Certificate decisions are made in C# through the verify_peer hook. Nothing here reads a clock. */
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define EVQ_EXPORT __attribute__((visibility("default")))
#define EVQ_CIDLEN 16
#define EVQ_DGRAM_SLOTS 4096
#define EVQ_DGRAM_MAX 1400

static const char ALPN[] = "edgevoice/1";
static const char PRIORITY[] =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:%DISABLE_TLS13_COMPAT_MODE";

typedef struct evq_datum { const uint8_t *data; unsigned int size; } evq_datum;

/* Managed hooks; each returns 0 for success. user is a GCHandle. */
typedef struct evq_hooks {
  int (*verify_peer)(void *user, const evq_datum *certs, unsigned int count);
  int (*handshake_completed)(void *user, const uint8_t *alpn, size_t alpnlen);
  int (*stream_data)(void *user, int64_t stream_id, int fin, const uint8_t *data, size_t len);
  int (*datagram)(void *user, const uint8_t *data, size_t len);
  int (*cid_changed)(void *user, int added, const uint8_t *cid, size_t len);
} evq_hooks;

typedef struct evq_config {
  uint64_t idle_timeout_ns;
  uint64_t keepalive_ns;
  uint64_t handshake_timeout_ns;
  uint64_t max_datagram_frame_size;
  const uint8_t *alpn; /* the one protocol offered and required; NULL means edgevoice/1 */
  size_t alpnlen;
} evq_config;

typedef struct evq_stats {
  uint64_t datagrams_queued;
  uint64_t datagrams_dropped_queue_full;
  uint64_t datagrams_dropped_too_large;
  uint64_t stream_bytes_queued;
  uint64_t stream_bytes_acked;
  uint64_t smoothed_rtt_ns;
  uint64_t cwnd;
  uint64_t bytes_in_flight;
  int32_t handshake_completed;
  int32_t verify_called;
  int32_t verify_result;
  int32_t tls_alert;
} evq_stats;

typedef struct evq_creds {
  gnutls_certificate_credentials_t cred;
} evq_creds;

typedef struct evq_chunk {
  struct evq_chunk *next;
  uint64_t offset; /* stream offset of data[0] */
  size_t len;
  uint8_t data[];
} evq_chunk;

typedef struct evq_conn {
  ngtcp2_crypto_conn_ref conn_ref; /* first: GnuTLS session ptr points here */
  ngtcp2_conn *conn;
  gnutls_session_t session;
  evq_hooks hooks;
  void *user;
  struct sockaddr_storage local, remote;
  ngtcp2_path path;
  int is_server;
  int64_t ctrl_stream;
  evq_chunk *chunks, *chunks_tail; /* unacked stream data, kept until acked (ngtcp2 retransmits from it) */
  uint64_t sent_offset, queued_offset, acked_offset;
  uint8_t *dgram;
  uint16_t dlen[EVQ_DGRAM_SLOTS];
  size_t dhead, dcount;
  uint64_t dgram_id;
  uint64_t keepalive_ns;
  int short_keepalive;
  uint8_t alpn[32];
  size_t alpnlen;
  evq_stats stats;
} evq_conn;

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) { return ((evq_conn *)ref)->conn; }

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx) {
  (void)ctx;
  gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

static int get_new_cid_cb(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *user_data) {
  (void)conn;
  evq_conn *c = user_data;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  cid->datalen = cidlen;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  if (c->hooks.cid_changed(c->user, 1, cid->data, cid->datalen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  return 0;
}

static int remove_cid_cb(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *user_data) {
  (void)conn;
  evq_conn *c = user_data;
  return c->hooks.cid_changed(c->user, 0, cid->data, cid->datalen) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int handshake_completed_cb(ngtcp2_conn *conn, void *user_data) {
  evq_conn *c = user_data;
  gnutls_datum_t alpn = {0};
  if (gnutls_alpn_get_selected_protocol(c->session, &alpn) != 0 || alpn.size != c->alpnlen ||
      memcmp(alpn.data, c->alpn, alpn.size) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;
  c->stats.handshake_completed = 1;
  if (!c->is_server && c->ctrl_stream < 0) {
    int64_t id;
    if (ngtcp2_conn_open_bidi_stream(conn, &id, NULL) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
    c->ctrl_stream = id;
  }
  return c->hooks.handshake_completed(c->user, alpn.data, alpn.size) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int stream_open_cb(ngtcp2_conn *conn, int64_t stream_id, void *user_data) {
  (void)conn;
  evq_conn *c = user_data;
  /* The client's first bidirectional stream is the control stream; the server opens none. */
  if (c->is_server && c->ctrl_stream < 0 && (stream_id & 0x3) == 0) c->ctrl_stream = stream_id;
  return 0;
}

static int recv_stream_data_cb(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id, uint64_t offset,
                               const uint8_t *data, size_t datalen, void *user_data, void *stream_user_data) {
  (void)offset; (void)stream_user_data;
  evq_conn *c = user_data;
  if (c->hooks.stream_data(c->user, stream_id, (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0, data, datalen) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;
  ngtcp2_conn_extend_max_stream_offset(conn, stream_id, datalen);
  ngtcp2_conn_extend_max_offset(conn, datalen);
  return 0;
}

static int acked_stream_data_offset_cb(ngtcp2_conn *conn, int64_t stream_id, uint64_t offset, uint64_t datalen,
                                       void *user_data, void *stream_user_data) {
  (void)conn; (void)stream_id; (void)stream_user_data;
  evq_conn *c = user_data;
  uint64_t end = offset + datalen;
  if (end > c->acked_offset) {
    c->stats.stream_bytes_acked += end - c->acked_offset;
    c->acked_offset = end;
  }
  while (c->chunks && c->chunks->offset + c->chunks->len <= c->acked_offset) {
    evq_chunk *done = c->chunks;
    c->chunks = done->next;
    if (!c->chunks) c->chunks_tail = NULL;
    free(done);
  }
  return 0;
}

static int recv_datagram_cb(ngtcp2_conn *conn, uint32_t flags, const uint8_t *data, size_t datalen, void *user_data) {
  (void)conn; (void)flags;
  evq_conn *c = user_data;
  return c->hooks.datagram(c->user, data, datalen) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int verify_cb(gnutls_session_t session) {
  evq_conn *c = gnutls_session_get_ptr(session);
  unsigned int n = 0;
  const gnutls_datum_t *list = gnutls_certificate_get_peers(session, &n);
  evq_datum certs[16];
  if (n > 16) n = 16;
  for (unsigned int i = 0; i < n; i++) {
    certs[i].data = list[i].data;
    certs[i].size = list[i].size;
  }
  c->stats.verify_called = 1;
  c->stats.verify_result = c->hooks.verify_peer(c->user, certs, list ? n : 0);
  return c->stats.verify_result == 0 ? 0 : GNUTLS_E_CERTIFICATE_ERROR;
}

EVQ_EXPORT evq_creds *evq_creds_new(const uint8_t *cert_pem, size_t cert_len, const uint8_t *key_pem, size_t key_len, int *err) {
  evq_creds *cr = calloc(1, sizeof(*cr));
  if (!cr) { *err = GNUTLS_E_MEMORY_ERROR; return NULL; }
  int rv = gnutls_certificate_allocate_credentials(&cr->cred);
  if (rv == 0 && cert_len > 0) {
    gnutls_datum_t cert = {(unsigned char *)cert_pem, (unsigned int)cert_len};
    gnutls_datum_t key = {(unsigned char *)key_pem, (unsigned int)key_len};
    rv = gnutls_certificate_set_x509_key_mem2(cr->cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rv > 0) rv = 0; /* returns an index on success */
  }
  if (rv != 0) {
    *err = rv;
    if (cr->cred) gnutls_certificate_free_credentials(cr->cred);
    free(cr);
    return NULL;
  }
  gnutls_certificate_set_verify_function(cr->cred, verify_cb);
  *err = 0;
  return cr;
}

EVQ_EXPORT void evq_creds_free(evq_creds *cr) {
  if (!cr) return;
  gnutls_certificate_free_credentials(cr->cred);
  free(cr);
}

EVQ_EXPORT const char *evq_strerror(int liberr) { return ngtcp2_strerror(liberr); }
EVQ_EXPORT const char *evq_gnutls_strerror(int err) { return gnutls_strerror(err); }

static void fill_callbacks(ngtcp2_callbacks *cb, int is_server) {
  memset(cb, 0, sizeof(*cb));
  if (is_server) cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  else {
    cb->client_initial = ngtcp2_crypto_client_initial_cb;
    cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
  }
  cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb->encrypt = ngtcp2_crypto_encrypt_cb;
  cb->decrypt = ngtcp2_crypto_decrypt_cb;
  cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb->update_key = ngtcp2_crypto_update_key_cb;
  cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb->rand = rand_cb;
  cb->get_new_connection_id = get_new_cid_cb;
  cb->remove_connection_id = remove_cid_cb;
  cb->handshake_completed = handshake_completed_cb;
  cb->stream_open = stream_open_cb;
  cb->recv_stream_data = recv_stream_data_cb;
  cb->acked_stream_data_offset = acked_stream_data_offset_cb;
  cb->recv_datagram = recv_datagram_cb;
}

static evq_conn *conn_alloc(const struct sockaddr *local, socklen_t locallen, const struct sockaddr *remote,
                            socklen_t remotelen, const evq_hooks *hooks, void *user) {
  if (locallen > sizeof(struct sockaddr_storage) || remotelen > sizeof(struct sockaddr_storage)) return NULL;
  evq_conn *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->dgram = malloc((size_t)EVQ_DGRAM_SLOTS * EVQ_DGRAM_MAX);
  if (!c->dgram) { free(c); return NULL; }
  c->conn_ref.get_conn = get_conn;
  c->conn_ref.user_data = c;
  c->hooks = *hooks;
  c->user = user;
  c->ctrl_stream = -1;
  memcpy(&c->local, local, locallen);
  memcpy(&c->remote, remote, remotelen);
  c->path.local.addr = (ngtcp2_sockaddr *)&c->local;
  c->path.local.addrlen = locallen;
  c->path.remote.addr = (ngtcp2_sockaddr *)&c->remote;
  c->path.remote.addrlen = remotelen;
  return c;
}

static int setup_tls(evq_conn *c, evq_creds *cr, int is_server, const evq_config *cfg) {
  if (cfg->alpn && cfg->alpnlen > 0 && cfg->alpnlen <= sizeof(c->alpn)) {
    memcpy(c->alpn, cfg->alpn, cfg->alpnlen);
    c->alpnlen = cfg->alpnlen;
  } else {
    memcpy(c->alpn, ALPN, sizeof(ALPN) - 1);
    c->alpnlen = sizeof(ALPN) - 1;
  }
  int rv = gnutls_init(&c->session, (is_server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_END_OF_EARLY_DATA);
  if (rv != 0) return rv;
  if ((rv = gnutls_priority_set_direct(c->session, PRIORITY, NULL)) != 0) return rv;
  rv = is_server ? ngtcp2_crypto_gnutls_configure_server_session(c->session)
                 : ngtcp2_crypto_gnutls_configure_client_session(c->session);
  if (rv != 0) return GNUTLS_E_INTERNAL_ERROR;
  gnutls_session_set_ptr(c->session, &c->conn_ref);
  if ((rv = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, cr->cred)) != 0) return rv;
  gnutls_datum_t alpn = {c->alpn, (unsigned int)c->alpnlen};
  if ((rv = gnutls_alpn_set_protocols(c->session, &alpn, 1, GNUTLS_ALPN_MANDATORY)) != 0) return rv;
  /* REQUIRE: a client without a certificate fails with alert certificate_required (116). */
  if (is_server) gnutls_certificate_server_set_request(c->session, GNUTLS_CERT_REQUIRE);
  ngtcp2_conn_set_tls_native_handle(c->conn, c->session);
  return 0;
}

static void fill_settings(ngtcp2_settings *s, ngtcp2_transport_params *p, const evq_config *cfg, uint64_t now, int is_server) {
  ngtcp2_settings_default(s);
  s->initial_ts = now;
  if (cfg->handshake_timeout_ns) s->handshake_timeout = cfg->handshake_timeout_ns;
  ngtcp2_transport_params_default(p);
  p->initial_max_data = 4 * 1024 * 1024;
  p->initial_max_stream_data_bidi_local = 1024 * 1024;
  p->initial_max_stream_data_bidi_remote = 1024 * 1024;
  p->initial_max_streams_bidi = is_server ? 1 : 0;
  p->initial_max_streams_uni = 0;
  p->max_idle_timeout = cfg->idle_timeout_ns;
  p->max_datagram_frame_size = cfg->max_datagram_frame_size;
}

EVQ_EXPORT void evq_conn_free(evq_conn *c) {
  if (!c) return;
  if (c->conn) ngtcp2_conn_del(c->conn);
  if (c->session) gnutls_deinit(c->session);
  while (c->chunks) {
    evq_chunk *n = c->chunks->next;
    free(c->chunks);
    c->chunks = n;
  }
  free(c->dgram);
  free(c);
}

EVQ_EXPORT evq_conn *evq_client_new(evq_creds *cr, const struct sockaddr *local, socklen_t locallen,
                                    const struct sockaddr *remote, socklen_t remotelen, const evq_hooks *hooks,
                                    void *user, const evq_config *cfg, uint64_t now, int *err) {
  evq_conn *c = conn_alloc(local, locallen, remote, remotelen, hooks, user);
  if (!c) { *err = NGTCP2_ERR_NOMEM; return NULL; }
  ngtcp2_cid dcid, scid;
  dcid.datalen = scid.datalen = EVQ_CIDLEN;
  gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, EVQ_CIDLEN);
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, EVQ_CIDLEN);
  ngtcp2_callbacks cb;
  ngtcp2_settings s;
  ngtcp2_transport_params p;
  fill_callbacks(&cb, 0);
  fill_settings(&s, &p, cfg, now, 0);
  int rv = ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &c->path, NGTCP2_PROTO_VER_V1, &cb, &s, &p, NULL, c);
  if (rv == 0) rv = setup_tls(c, cr, 0, cfg);
  if (rv != 0) { *err = rv; evq_conn_free(c); return NULL; }
  c->keepalive_ns = cfg->keepalive_ns ? cfg->keepalive_ns : UINT64_MAX;
  ngtcp2_conn_set_keep_alive_timeout(c->conn, c->keepalive_ns);
  c->hooks.cid_changed(c->user, 1, scid.data, scid.datalen);
  *err = 0;
  return c;
}

/* Returns 0 and the packet's DCID, or a negative ngtcp2 error for a packet that is not QUIC. */
EVQ_EXPORT int evq_decode_dcid(const uint8_t *pkt, size_t len, uint8_t *dcid, size_t *dcidlen, int *long_header) {
  ngtcp2_version_cid vc;
  if (len == 0) return NGTCP2_ERR_INVALID_ARGUMENT; /* ngtcp2 asserts on empty input */
  int rv = ngtcp2_pkt_decode_version_cid(&vc, pkt, len, EVQ_CIDLEN);
  if (rv != 0) return rv;
  if (vc.dcidlen > NGTCP2_MAX_CIDLEN) return NGTCP2_ERR_INVALID_ARGUMENT;
  memcpy(dcid, vc.dcid, vc.dcidlen);
  *dcidlen = vc.dcidlen;
  *long_header = (len > 0 && (pkt[0] & 0x80)) ? 1 : 0;
  return 0;
}

EVQ_EXPORT evq_conn *evq_server_accept(evq_creds *cr, const uint8_t *pkt, size_t len, const struct sockaddr *local,
                                       socklen_t locallen, const struct sockaddr *remote, socklen_t remotelen,
                                       const evq_hooks *hooks, void *user, const evq_config *cfg, uint64_t now, int *err) {
  ngtcp2_pkt_hd hd;
  if (len == 0) { *err = NGTCP2_ERR_INVALID_ARGUMENT; return NULL; }
  int rv = ngtcp2_accept(&hd, pkt, len);
  if (rv != 0) { *err = rv; return NULL; }
  evq_conn *c = conn_alloc(local, locallen, remote, remotelen, hooks, user);
  if (!c) { *err = NGTCP2_ERR_NOMEM; return NULL; }
  c->is_server = 1;
  ngtcp2_cid scid;
  scid.datalen = EVQ_CIDLEN;
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, EVQ_CIDLEN);
  ngtcp2_callbacks cb;
  ngtcp2_settings s;
  ngtcp2_transport_params p;
  fill_callbacks(&cb, 1);
  fill_settings(&s, &p, cfg, now, 1);
  p.original_dcid = hd.dcid;
  rv = ngtcp2_conn_server_new(&c->conn, &hd.scid, &scid, &c->path, hd.version, &cb, &s, &p, NULL, c);
  if (rv == 0) rv = setup_tls(c, cr, 1, cfg);
  if (rv != 0) { *err = rv; evq_conn_free(c); return NULL; }
  c->keepalive_ns = cfg->keepalive_ns ? cfg->keepalive_ns : UINT64_MAX;
  ngtcp2_conn_set_keep_alive_timeout(c->conn, c->keepalive_ns);
  c->hooks.cid_changed(c->user, 1, scid.data, scid.datalen);
  *err = 0;
  return c;
}

EVQ_EXPORT int evq_read(evq_conn *c, const uint8_t *pkt, size_t len, uint64_t now) {
  ngtcp2_pkt_info pi = {0};
  if (len == 0) return 0; /* an empty UDP payload is no packet; ngtcp2 asserts on it */
  return ngtcp2_conn_read_pkt(c->conn, &c->path, &pi, pkt, len, now);
}

EVQ_EXPORT int evq_stream_send(evq_conn *c, const uint8_t *data, size_t len) {
  if (len == 0) return 0;
  evq_chunk *ch = malloc(sizeof(evq_chunk) + len);
  if (!ch) return NGTCP2_ERR_NOMEM;
  ch->next = NULL;
  ch->offset = c->queued_offset;
  ch->len = len;
  memcpy(ch->data, data, len);
  if (c->chunks_tail) c->chunks_tail->next = ch;
  else c->chunks = ch;
  c->chunks_tail = ch;
  c->queued_offset += len;
  c->stats.stream_bytes_queued += len;
  return 0;
}

/* 0 queued; -1 queue full; -2 larger than this side ever sends in one datagram. */
EVQ_EXPORT int evq_datagram_send(evq_conn *c, const uint8_t *data, size_t len) {
  if (len > EVQ_DGRAM_MAX) { c->stats.datagrams_dropped_too_large++; return -2; }
  if (c->dcount == EVQ_DGRAM_SLOTS) { c->stats.datagrams_dropped_queue_full++; return -1; }
  size_t slot = (c->dhead + c->dcount) % EVQ_DGRAM_SLOTS;
  memcpy(c->dgram + slot * EVQ_DGRAM_MAX, data, len);
  c->dlen[slot] = (uint16_t)len;
  c->dcount++;
  c->stats.datagrams_queued++;
  return 0;
}

static void dgram_pop(evq_conn *c) {
  c->dhead = (c->dhead + 1) % EVQ_DGRAM_SLOTS;
  c->dcount--;
}

/* ngtcp2 0.12 arms no PTO timer for packets that carry only DATAGRAM frames, so when such
 * packets are lost at the tail with the congestion window full, nothing is ever sent again.
 * Datagrams therefore leave one packet of window free, and while they wait for window the
 * keep-alive is shortened to one PTO, so a PING (which does arm the timer) goes out and its
 * ACK lets loss detection reclaim the lost datagram packets. */
#define EVQ_CWND_RESERVE 1200

static void set_keepalive(evq_conn *c, int shorten) {
  if (shorten == c->short_keepalive) return;
  c->short_keepalive = shorten;
  ngtcp2_conn_set_keep_alive_timeout(c->conn, shorten ? ngtcp2_conn_get_pto(c->conn) : c->keepalive_ns);
}

/* Writes the next UDP payload into buf: >0 its length, 0 nothing to send now, <0 ngtcp2 error. */
EVQ_EXPORT ngtcp2_ssize evq_write(evq_conn *c, uint8_t *buf, size_t buflen, uint64_t now) {
  ngtcp2_pkt_info pi;
  int stream_blocked = 0, dgram_blocked = 0;
  for (;;) {
    if (c->dcount > 0 && c->stats.handshake_completed && !dgram_blocked) {
      if (ngtcp2_conn_get_cwnd_left(c->conn) < (uint64_t)c->dlen[c->dhead] + EVQ_CWND_RESERVE) {
        set_keepalive(c, 1);
        dgram_blocked = 1;
        continue;
      }
      set_keepalive(c, 0);
      int accepted = 0;
      ngtcp2_vec v = {c->dgram + c->dhead * EVQ_DGRAM_MAX, c->dlen[c->dhead]};
      ngtcp2_ssize n = ngtcp2_conn_writev_datagram(c->conn, NULL, &pi, buf, buflen, &accepted,
                                                   NGTCP2_WRITE_DATAGRAM_FLAG_MORE, c->dgram_id++, &v,
                                                   v.len ? 1 : 0 /* ngtcp2 asserts on empty vectors */, now);
      if (accepted) dgram_pop(c);
      if (n == NGTCP2_ERR_WRITE_MORE) continue;
      if (n == NGTCP2_ERR_INVALID_ARGUMENT) { /* larger than the peer's max_datagram_frame_size */
        if (!accepted) dgram_pop(c);
        c->stats.datagrams_dropped_too_large++;
        continue;
      }
      if (n == 0 && !accepted) { /* congestion-limited: ACKs and control may still go */
        dgram_blocked = 1;
        continue;
      }
      return n;
    }
    int64_t sid = -1;
    ngtcp2_vec v = {0};
    size_t vcnt = 0;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_NONE;
    if (c->ctrl_stream >= 0 && !stream_blocked && c->sent_offset < c->queued_offset) {
      evq_chunk *ch = c->chunks;
      while (ch && ch->offset + ch->len <= c->sent_offset) ch = ch->next;
      if (ch) {
        size_t skip = (size_t)(c->sent_offset - ch->offset);
        v.base = ch->data + skip;
        v.len = ch->len - skip;
        vcnt = 1;
        sid = c->ctrl_stream;
        flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
      }
    }
    ngtcp2_ssize datalen = -1;
    ngtcp2_ssize n = ngtcp2_conn_writev_stream(c->conn, NULL, &pi, buf, buflen, &datalen, flags, sid,
                                               vcnt ? &v : NULL, vcnt, now);
    if (datalen > 0) c->sent_offset += (uint64_t)datalen;
    if (n == NGTCP2_ERR_WRITE_MORE) continue;
    if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR || n == NGTCP2_ERR_STREAM_NOT_FOUND) {
      stream_blocked = 1;
      continue;
    }
    return n;
  }
}

EVQ_EXPORT uint64_t evq_expiry(evq_conn *c) { return ngtcp2_conn_get_expiry(c->conn); }

EVQ_EXPORT int evq_handle_expiry(evq_conn *c, uint64_t now) { return ngtcp2_conn_handle_expiry(c->conn, now); }

/* A CONNECTION_CLOSE packet: application close when liberr == 0, otherwise derived from the
 * library error (and the TLS alert, for handshake failures). */
EVQ_EXPORT ngtcp2_ssize evq_write_close(evq_conn *c, uint8_t *buf, size_t buflen, int liberr, uint64_t app_error,
                                        const uint8_t *reason, size_t reasonlen, uint64_t now) {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  if (liberr == 0) ngtcp2_connection_close_error_set_application_error(&ccerr, app_error, reason, reasonlen);
  else if (liberr == NGTCP2_ERR_CRYPTO)
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, ngtcp2_conn_get_tls_alert(c->conn), reason, reasonlen);
  else ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, reason, reasonlen);
  ngtcp2_pkt_info pi;
  return ngtcp2_conn_write_connection_close(c->conn, NULL, &pi, buf, buflen, &ccerr, now);
}

/* The CONNECTION_CLOSE the peer sent: its error code and type (0 transport, 1 application);
 * copies up to reasoncap bytes of its reason phrase and returns the phrase's full length. */
EVQ_EXPORT size_t evq_peer_close(evq_conn *c, uint64_t *code, int *type, uint8_t *reason, size_t reasoncap) {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_conn_get_connection_close_error(c->conn, &ccerr);
  *code = ccerr.error_code;
  *type = (int)ccerr.type;
  size_t n = ccerr.reasonlen < reasoncap ? ccerr.reasonlen : reasoncap;
  if (n && ccerr.reason) memcpy(reason, ccerr.reason, n);
  return ccerr.reasonlen;
}

EVQ_EXPORT void evq_get_stats(evq_conn *c, evq_stats *out) {
  ngtcp2_conn_stat cs;
  ngtcp2_conn_get_conn_stat(c->conn, &cs);
  c->stats.smoothed_rtt_ns = cs.smoothed_rtt;
  c->stats.cwnd = cs.cwnd;
  c->stats.bytes_in_flight = cs.bytes_in_flight;
  c->stats.tls_alert = ngtcp2_conn_get_tls_alert(c->conn);
  *out = c->stats;
}
