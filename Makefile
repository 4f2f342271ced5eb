# Mimiron's Gold-o-Matic — the commands a developer, CI and an operator use.
# `make run` and `make test` do their own set-up on a fresh machine (PostgreSQL,
# Lua, Chromium are installed from Debian packages when missing).

GO ?= go
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: run test bench chaos addon extension desktop demo fuzz vet build clean

run: ## run every service in one process (embedded NATS, local PostgreSQL, fake Helix)
	$(GO) run ./services/mgm

test: ## everything CI checks
	bash scripts/test.sh

bench: ## performance targets, printed as ratios against baselines measured in the same run
	bash scripts/bench.sh

chaos: ## the services as separate processes on a 3-node NATS cluster, under faults; CHAOS_DURATION (default 60s) runs it longer
	$(GO) run ./chaos

addon: ## dist/MimironsGoldOMatic.zip, ready to unpack into Interface/AddOns
	bash scripts/build-addon.sh

extension: ## dist/mgm-extension.zip for Twitch's console; the backend's address from MGM_EBS_URL=https://…
	bash scripts/build-extension.sh

desktop: ## dist/mgm-desktop.exe: the Desktop as a signed Windows GUI program (MGM_SIGN_PFX/MGM_SIGN_PASS: your certificate)
	bash scripts/build-desktop.sh

demo: ## a whole giveaway on one machine: simulated chat, headless WoW client, Desktop window
	$(GO) run ./desktop/cmd/mgm-demo

fuzz: ## run each fuzz target for FUZZTIME (default 10s)
	bash scripts/fuzz.sh

vet:
	for m in $$($(GO) list -m -f '{{.Dir}}'); do (cd $$m && $(GO) vet ./...) || exit 1; done

build:
	mkdir -p bin
	for s in ingest pool roulette payout gift-queue helix-notifier gateway mgm; do \
		$(GO) build -o bin/$$s ./services/$$s || exit 1; done

clean:
	rm -rf bin dist
