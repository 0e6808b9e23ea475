package verify_test

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
)

// katsMZ are the known answers of the presets in presets.yaml named m to z, and of the
// older m–z presets that had none (mailgun, shopify).
func katsMZ(tb testing.TB) []kat {
	tb.Helper()
	return []kat{{
		// The test asserts this header was valid when made and is now too
		// old: the SDK checks age only, as the preset does.
		preset:  "mux",
		source:  "https://github.com/muxinc/mux-elixir/blob/eb7368730a47c0e32c53b49be8fbcb682bd6f27b/test/mux/webhooks_test.exs",
		secrets: []verify.Secret{"SuperSecret123"},
		header:  hdr("Mux-Signature", "t=1565125718,v1=854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7"),
		body:    `{"test":"body"}`,
		now:     time.Unix(1565125718, 0),
	}, {
		preset:  "sinch",
		source:  "https://github.com/sinch/sinch-sdk-node/blob/affb35e5164993b316915bd780165d704e44689b/packages/sdk-client/tests/utils/authorization.helper.test.ts (Webhook signature (Conversation API))",
		secrets: []verify.Secret{"foo_secret1234"},
		header: hdr("X-Sinch-Webhook-Signature", "6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=", "X-Sinch-Webhook-Signature-Algorithm", "HmacSHA256",
			"X-Sinch-Webhook-Signature-Nonce", "01FJA8B4A7BM43YGWSG9GBV067", "X-Sinch-Webhook-Signature-Timestamp", "1634579353"),
		body: `{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},"message_metadata":""}`,
		now:  time.Unix(1634579353, 0),
	}, {
		// The SDK signs JSON.stringify({pizza: 'pasta'}).
		preset:  "smartcar",
		source:  "https://github.com/smartcar/node-sdk/blob/60fa154781869dcf1b0ab576cf41ffbddda2e548/test/unit/index.js#L47-L52",
		secrets: []verify.Secret{"amt"},
		header:  hdr("SC-Signature", "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70"),
		body:    `{"pizza":"pasta"}`,
	}, {
		// The SDK signs JSON.stringify of the test's payload object.
		preset:  "unit",
		source:  "https://github.com/unit-finance/unit-node-sdk/blob/0198c7a973af2939989bec896466abb5815ee573/tests/webhooks.spec.ts",
		secrets: []verify.Secret{"OB2HL5E3B4HJ7IVXRNL4YQKYIQIVJK36ZZLPZEFWZVSDSC7LLFJQ===="},
		header:  hdr("X-Unit-Signature", "UUNz8ch1Ovjg+ijXUEwlAlWEktU="),
		body:    `{"data":[{"id":"46306092","type":"application.approved","attributes":{"createdAt":"2025-08-05T06:48:38.957Z","tags":{"key":"another-tag","test":"webhook-tag","number":"111"}},"relationships":{"application":{"data":{"id":"3895367","type":"individualApplication"}},"customer":{"data":{"id":"3310133","type":"individualCustomer"}}}}]}`,
	}, {
		// The body is JSON.stringify of the test's thread-created payload
		// (src/tests/webhook-payloads/thread-created.ts at the same commit).
		preset:  "plain",
		source:  "https://github.com/team-plain/typescript-sdk/blob/88de0180fc5cb76802f035f6e4f0454ee423fb34/src/tests/verify-plain-webhook.test.ts",
		secrets: []verify.Secret{"secret"},
		header:  hdr("Plain-Request-Signature", "ae0d54c966dea1056b6ced04d1bafc3358af592469b5fd55553dcb036b58a1ef"),
		body:    `{"timestamp":"2023-10-19T14:12:25.266Z","workspaceId":"w_01GST0W989ZNAW53X6XYHAY87P","payload":{"eventType":"thread.thread_created","thread":{"id":"th_01HD44FHMCDSSWE38N14FSYV6K","customer":{"id":"c_01HD44FHDPG82VQ4QNHDR4N2T0","email":{"email":"peter@example.com","isVerified":false,"verifiedAt":null},"externalId":null,"fullName":"Peter Santos","shortName":"Peter","markedAsSpamAt":null,"markedAsSpamBy":null,"customerGroupMemberships":[],"createdAt":"2023-10-04T14:17:41.991Z","createdBy":{"actorType":"system","system":"email_inbound_handler"},"updatedAt":"2023-10-04T14:17:41.991Z","updatedBy":{"actorType":"system","system":"email_inbound_handler"}},"title":"Unable to tail logs","previewText":"Hey, I am currently unable to tail the logs of the service svc-8af1e3","priority":2,"externalId":null,"status":"TODO","statusChangedAt":"2023-10-19T14:12:25.266Z","statusChangedBy":{"actorType":"system","system":"email_inbound_handler"},"statusDetail":{"type":"CREATED","createdAt":"2023-10-19T14:12:25.266Z"},"assignee":null,"assignedAt":null,"additionalAssignees":[],"labels":[],"firstInboundMessageInfo":null,"firstOutboundMessageInfo":null,"lastInboundMessageInfo":null,"lastOutboundMessageInfo":null,"supportEmailAddresses":["help@example.com"],"createdAt":"2023-10-19T14:12:25.266Z","createdBy":{"actorType":"system","system":"email_inbound_handler"},"updatedAt":"2023-10-19T14:12:25.266Z","updatedBy":{"actorType":"system","system":"email_inbound_handler"}}},"id":"pEv_01HD44FHHJ0YABSNGKWMG3CJ5J","webhookMetadata":{"webhookTargetId":"whTarget_01HD4400VTDJQ646V6RY37SR7K","webhookTargetVersion":"2026-02-27","webhookDeliveryAttemptId":"whAttempt_01HD44FJASQM23MNHYDYPAXEG8","webhookDeliveryAttemptNumber":1,"webhookDeliveryAttemptTimestamp":"2023-10-19T14:12:26.073Z"},"type":"thread.thread_created"}`,
	}, {
		// Moov signs the three headers only; the test posts generated
		// events under that one signature, so any body goes.
		preset:  "moov",
		source:  "https://github.com/moovfinancial/moov-go/blob/a3ea550dd1180977a9187424b5bb830b26705c1d/pkg/mhooks/event_test.go",
		secrets: []verify.Secret{"my-webhook-signing-secret"},
		header: hdr("X-Timestamp", "2024-04-26T21:20:55Z", "X-Nonce", "LwxF1Uk7QOeDq2nzB3theslHbtAo7y3uuncB1PoijwCZZaRZsd8DOtffBT7p",
			"X-Webhook-Id", "dff0a709-f982-4475-81e8-214b435c74ab",
			"X-Signature", "6231d03752de6963087e6aea1c78a27a0617b6df1c071195f30ed85defe34e02fd0bf3995949fe12dafd747c42de9cfae03b8aafcf69cceba5495f4c7b719d82"),
		body:    `{"eventID":"","type":"test.ping","createdOn":"2024-04-26T21:20:55Z","data":{"ping":true}}`,
		notBody: true,
	},
		swKAT("whop", "SDK: https://github.com/whopio/whopsdk-python/blob/57f49d22de45d814717e9c997eb4130246139f08/tests/api_resources/test_webhooks.py verifies with the standardwebhooks library"),
		swKAT("make", "docs: https://developers.make.com/event-subscription/implementation/verify-signatures name Standard Webhooks 1.0"),
		{
			preset:  "xendit",
			source:  "https://docs.xendit.co/webhook/getting-started/ (header X-Callback-Token carries the callback verification token, as xendit-client's Xendit::Webhook#verified? compares it)",
			secrets: []verify.Secret{"MyCallbackVerificationToken123"},
			header:  hdr("X-Callback-Token", "MyCallbackVerificationToken123"),
			body:    `{"id":"579c8d61f23fa4ca35e52da4","external_id":"invoice_123124123","status":"PAID"}`,
			notBody: true,
		},
		// RFC 7617's example credentials, sent as Pipedrive sends the
		// http_auth_user and http_auth_password set on the webhook.
		basicKAT("pipedrive", "https://pipedrive.readme.io/docs/guide-for-webhooks (HTTP Basic auth; credentials from RFC 7617 section 2)",
			`{"meta":{"action":"create","entity":"deal"},"data":{"id":1}}`),
		{
			// mailgun-php's test gives timestamp, token, signature and key;
			// this body carries them as Mailgun's JSON webhooks do. The
			// signature does not cover the event data (hence notBody).
			preset:  "mailgun",
			source:  "https://github.com/mailgun/mailgun-php/blob/5024827b4ba170d9547919c7cbcb56477659bdd0/tests/Api/WebhookTest.php#L29-L37",
			secrets: []verify.Secret{"key-3ax6xnjp29jd6fds4gc373sgvjxteol0"},
			header:  hdr("Content-Type", "application/json"),
			body:    `{"signature":{"timestamp":"1403645220","token":"5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6","signature":"9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"},"event-data":{"id":"evt-1","event":"delivered"}}`,
			now:     time.Unix(1403645220, 0),
			notBody: true,
		}, {
			// The test expects this hmac for rawBody under testConfig's
			// apiSecretKey 'test_secret_key' (lib/__tests__/test-config.ts).
			preset:  "shopify",
			source:  "https://github.com/Shopify/shopify-api-js/blob/9dd9284376deaca14598e8dc96c90b868e03086b/packages/shopify-api/lib/webhooks/__tests__/validate.test.ts#L13-L31",
			secrets: []verify.Secret{"test_secret_key"},
			header:  hdr("X-Shopify-Hmac-Sha256", "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=", "X-Shopify-Topic", "products/create", "X-Shopify-Webhook-Id", "123456789"),
			body:    `{"foo": "bar"}`,
		}, {
			preset:  "shopware",
			source:  "https://github.com/shopware/app-php-sdk/blob/9fd9b59db1892cc3d6b4cc2e97fb7a41f506a2be/tests/Authentication/RequestVerifierTest.php#L81-L89",
			secrets: []verify.Secret{"secret"},
			header:  hdr("shopware-shop-signature", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355"),
			body:    `body`,
		}, {
			preset:  "viber",
			source:  "https://github.com/Viber/viber-bot-python/blob/5cfe34e3b7d1c98afdf5d2c09a4c5722a61f008f/tests/api/test_api.py#L9-L17",
			secrets: []verify.Secret{"44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"},
			header:  hdr("X-Viber-Content-Signature", "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"),
			body:    `{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}`,
		}, {
			// The body is tests/resources/webhooks/valid-body, which the test
			// reads with carriage returns removed (the file has none).
			preset:  "worldline",
			source:  "https://github.com/wl-online-payments-direct/sdk-python3/blob/f333f4c4b15fd4b55fa744cdf765542deb43785d/tests/unit/test_signature_validator.py",
			secrets: []verify.Secret{"hello+world"},
			header:  hdr("X-GCS-Signature", "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=", "X-GCS-KeyId", "dummy-key-id"),
			body: `{
  "apiVersion": "v1",
  "id": "8ee793f6-4553-4749-85dc-f2ef095c5ab0",
  "created": "2017-02-02T11:24:14.040+0100",
  "merchantId": "20000",
  "type": "payment.paid",
  "payment": {
    "id": "00000200000143570012",
    "paymentOutput": {
      "amountOfMoney": {
        "amount": 1000,
        "currencyCode": "EUR"
      },
      "references": {
        "paymentReference": "200001681810"
      },
      "paymentMethod": "bankTransfer",
      "bankTransferPaymentMethodSpecificOutput": {
        "paymentProductId": 11
      }
    },
    "status": "PAID",
    "statusOutput": {
      "isCancellable": false,
      "statusCategory": "COMPLETED",
      "statusCode": 1000,
      "statusCodeChangeDateTime": "20170202112414",
      "isAuthorized": true
    }
  }
}`,
		}, {
			// The body is tests/resources/notification.json at that commit.
			preset:  "paynow",
			source:  "https://github.com/pay-now/paynow-php-sdk/blob/4e9244687347acf2b0566c44251c451a2e57e616/tests/NotificationTest.php#L18-L36",
			secrets: []verify.Secret{"s3ecret-k3y"},
			header:  hdr("Signature", "Aq/VmN15rtjVbuy9F7Yw+Ym76H+VZjVSuHGpg4dwitY="),
			body: `{
  "paymentId": "NOLV-8F9-08K-WGD",
  "status": "CONFIRMED",
  "modifiedAt": "2018-12-12T13:24:52"
}`,
		}, {
			preset:  "sinch-numbers",
			source:  "https://github.com/sinch/sinch-sdk-node/blob/affb35e5164993b316915bd780165d704e44689b/packages/sdk-client/tests/utils/authorization.helper.test.ts#L161-L174",
			secrets: []verify.Secret{"my-callback-secret"},
			header:  hdr("X-Sinch-Signature", "b93021e0182c2772dbcdf4e8983ae8f409e78c3b"),
			body:    `{"eventId":"01hpa0mww4m79q8j2dwn3ggbgz","timestamp":"2024-02-10T17:22:09.412722588","projectId":"37b62a7b-0177-abcd-efgh-e10f848de123","resourceId":"+17818510001","resourceType":"ACTIVE_NUMBER","eventType":"DEPROVISIONING_FROM_VOICE_PLATFORM","status":"SUCCEEDED","failureCode":null}`,
		}, {
			// Shared secrets have no vector: the header as the docs describe it.
			preset:  "revenuecat",
			source:  "https://www.revenuecat.com/docs/integrations/webhooks (the Authorization header value set on the webhook is sent as is)",
			secrets: []verify.Secret{"Bearer rc-webhook-secret-1"},
			header:  hdr("Authorization", "Bearer rc-webhook-secret-1"),
			body:    `{"api_version":"1.0","event":{"id":"CDD1B3D9-1D5E-4C9B-9C6D-3B7C8D6E0A11","type":"INITIAL_PURCHASE","app_user_id":"user_1"}}`,
			notBody: true,
		},
		basicKAT("marqeta", "https://www.marqeta.com/docs/core-api/webhooks (HTTP Basic auth from basic_auth_username and basic_auth_password; credentials from RFC 7617 section 2)",
			`{"transactions":[{"token":"txn_1","type":"authorization","state":"PENDING"}]}`),
		basicKAT("sparkpost", "https://developers.sparkpost.com/api/webhooks/ (auth_type basic sends HTTP Basic credentials; credentials from RFC 7617 section 2)",
			`[{"msys":{"message_event":{"type":"delivery","event_id":"92356927693813856"}}}]`),
		{
			preset:  "retell",
			source:  "https://github.com/RetellAI/retell-python-sdk/blob/a14e5119692c4a64970e9f6b2a8e9025e271812a/tests/test_webhook_auth.py#L11-L42",
			secrets: []verify.Secret{"test-api-key"},
			header:  hdr("X-Retell-Signature", "v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e"),
			body:    `{"event":"call_ended"}`,
			now:     time.UnixMilli(1700000000000),
		}, {
			// The docs publish the secret, payload and timestamp with the
			// code that signs them, not its output: computed here.
			preset:  "revolut",
			recipe:  true,
			source:  "https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature (secret, raw_payload, timestamp and recipe)",
			secrets: []verify.Secret{"wsk_r59a4HfWVAKycbCaNO1RvgCJec02gRd8"},
			header: hdr("Revolut-Request-Timestamp", "1683650202360",
				"Revolut-Signature", "v1="+hmacHex("wsk_r59a4HfWVAKycbCaNO1RvgCJec02gRd8", "v1.1683650202360.", revolutBody)),
			body: revolutBody,
			now:  time.UnixMilli(1683650202360),
		}, {
			// The SDK's server test signs each request with
			// sha1(body . PROJECT_SECRET_KEY) at run time: computed here.
			preset:  "xsolla",
			recipe:  true,
			source:  "https://github.com/xsolla/xsolla-sdk-php/blob/ae4ca35e5aa0edbc5af45e9c069dd09a2792c264/tests/Integration/Webhook/ServerTest.php#L69-L72 (key, body and recipe)",
			secrets: []verify.Secret{"PROJECT_SECRET_KEY"},
			header:  hdr("Authorization", "Signature "+sha1Digest(`{"notification_type": "payment"}`+"PROJECT_SECRET_KEY")),
			body:    `{"notification_type": "payment"}`,
		}, {
			// The SDK's test signs PAYLOAD with createSignature at run time: computed here.
			preset:  "mollie",
			recipe:  true,
			source:  "https://github.com/mollie/mollie-api-php/blob/53e49e71dcf761ee8f1b06e3838d0e9904ea7d7f/tests/Webhooks/SignatureValidatorTest.php#L13-L42 (secret, payload and the sha256= form)",
			secrets: []verify.Secret{"test_webhook_secret"},
			header:  hdr("X-Mollie-Signature", "sha256="+hmacHex("test_webhook_secret", `{"id":"tr_12345","event_type":"payment-link.paid"}`)),
			body:    `{"id":"tr_12345","event_type":"payment-link.paid"}`,
		}, {
			// The SDK's test signs SAMPLE_EVENT (json.dumps, hence the
			// spaces) at the current time: computed here at a fixed one.
			preset:  "workos",
			recipe:  true,
			source:  "https://github.com/workos/workos-python/blob/1a0d410a05e417cfd2608890fb566d6b9d17253c/tests/test_webhook_verification.py#L14-L47 (secret, event and recipe)",
			secrets: []verify.Secret{"whsec_test_secret"},
			header:  hdr("WorkOS-Signature", "t=1704067200000, v1="+hmacHex("whsec_test_secret", "1704067200000.", workosBody)),
			body:    workosBody,
			now:     time.UnixMilli(1704067200000),
		}, {
			// twitch-cli's test checks its signatures with this secret; the id
			// and timestamp are the docs' example headers: computed here.
			preset:  "twitch",
			recipe:  true,
			source:  "https://github.com/twitchdev/twitch-cli/blob/fd7dac646eea56c9ac9c1d36893e611de855c21e/internal/events/trigger/forward_event_test.go#L21-L46 (secret and recipe; id and timestamp from https://dev.twitch.tv/docs/eventsub/handling-webhook-events/)",
			secrets: []verify.Secret{"potaytoes"},
			header: hdr("Twitch-Eventsub-Message-Id", "befa7b53-d79d-478f-86b9-120f112b044e",
				"Twitch-Eventsub-Message-Timestamp", "2019-11-16T10:11:12.634234626Z",
				"Twitch-Eventsub-Subscription-Type", "channel.follow",
				"Twitch-Eventsub-Message-Signature", "sha256="+hmacHex("potaytoes", "befa7b53-d79d-478f-86b9-120f112b044e", "2019-11-16T10:11:12.634234626Z", twitchBody)),
			body: twitchBody,
			now:  time.Date(2019, 11, 16, 10, 11, 12, 0, time.UTC),
		}, {
			// The docs' example uses this signing secret (the one Zendesk's
			// test deliveries use) and give no signature: computed here.
			preset:  "zendesk",
			recipe:  true,
			source:  "https://developer.zendesk.com/documentation/webhooks/verifying/ (SIGNING_SECRET and base64(HMACSHA256(TIMESTAMP + BODY)))",
			secrets: []verify.Secret{"dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="},
			header: hdr("X-Zendesk-Webhook-Signature-Timestamp", "2021-07-25T10:00:00Z",
				"X-Zendesk-Webhook-Signature", sha256B64("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", "2021-07-25T10:00:00Z", `{"say": "hello"}`)),
			body: `{"say": "hello"}`,
			now:  time.Date(2021, 7, 25, 10, 0, 0, 0, time.UTC),
		}, {
			// The test's header made at 1663103925004; checked at that time.
			preset:  "recurly",
			source:  "https://github.com/recurly/recurly-client-ruby/blob/05fa008d7df3cb82187e7c8c7b0330a8b8ea0b58/spec/recurly/webhooks_spec.rb#L5-L48",
			secrets: []verify.Secret{"354fab5bd35f5a0d50845ee7e30165244468b13c2c343f104e4e730a59326d9d"},
			header:  hdr("Recurly-Signature", "1663103925004,ad24699f3beaa24c9af2cc7ada3ce4c835da0090194241b9d3add83d27f14bc3"),
			body:    `{"id":"rjxwmwedwqug","object_type":"account","site_id":"qc326l1hl8k9","event_type":"created","event_time":"2022-09-13T21:18:40Z","account_code":"adfas23zzz14123"}`,
			now:     time.UnixMilli(1663103925004),
		}, {
			// The SDK's test signs JSON_BODY with API_SECRET at run time: computed here.
			preset:  "stream",
			recipe:  true,
			source:  "https://github.com/GetStream/stream-chat-js/blob/77fb9c875e5d27896c563a51c86a56db24ebed16/test/unit/webhook-compression.test.ts#L19-L23 (secret, body and recipe)",
			secrets: []verify.Secret{"tsec2"},
			header:  hdr("X-Signature", hmacHex("tsec2", `{"type":"message.new","message":{"text":"the quick brown fox"}}`)),
			body:    `{"type":"message.new","message":{"text":"the quick brown fox"}}`,
		}}
}

const (
	twitchBody  = `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}}`
	revolutBody = `{"data":{"id":"645a7696-22f3-aa47-9c74-cbae0449cc46","new_state":"completed","old_state":"pending","request_id":"app_charges-9f5d5eb3-1e06-46c5-b1c0-3914763e0bcb"},"event":"TransactionStateChanged","timestamp":"2023-05-09T16:36:38.028960Z"}`
	workosBody  = `{"object": "event", "id": "evt_01", "event": "user.created", "data": {"object": "user", "id": "user_01", "email": "test@example.com", "email_verified": true, "first_name": null, "last_name": null, "profile_picture_url": null, "external_id": null, "last_sign_in_at": null, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}, "created_at": "2024-01-01T00:00:00Z"}`
)

// sha1Digest is a plain SHA-1, hex: Xsolla hashes the secret in, no HMAC.
func sha1Digest(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// The nonce is part of what Sinch and Moov sign: a delivery without it is
// missing its signature, one with another nonce is forged. Checked on the
// published Sinch vector.
func TestNonceIsSigned(t *testing.T) {
	var k kat
	for _, c := range katsMZ(t) {
		if c.preset == "sinch" {
			k = c
		}
	}
	spec := verify.Spec{Type: k.preset, Secrets: k.secrets}
	req := func(nonce string) *verify.Request {
		h := k.header.Clone()
		h.Set("X-Sinch-Webhook-Signature-Nonce", nonce)
		if nonce == "" {
			h.Del("X-Sinch-Webhook-Signature-Nonce")
		}
		return &verify.Request{Header: h, Body: []byte(k.body), Now: k.now}
	}
	mustVerify(t, spec, req("01FJA8B4A7BM43YGWSG9GBV067"), nil)
	mustVerify(t, spec, req(""), errMissing)
	mustVerify(t, spec, req("01FJA8B4A7BM43YGWSG9GBV068"), errInvalid)
	// A template naming {nonce} needs a nonce header.
	if _, err := verify.New(verify.Spec{Type: "hmac", Header: "X-Sig", SignedPayload: "{nonce}.{body}", Secrets: k.secrets}); err == nil {
		t.Error("the hmac type accepted {nonce}, which it cannot fill")
	}
}
