// Package export `agora-rtc-web/server`: what customers' Node servers may use.
export {};
