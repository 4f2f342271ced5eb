// Package pkg holds what every Mimiron's Gold-o-Matic service shares.
package pkg
