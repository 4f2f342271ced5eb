package natsx_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/natsx"
)

func greet(_ context.Context, r echoReq) (string, error) { return "hello " + r.Name, nil }

func TestHandle_DecodesTheBodyAndRefusesAMalformedOne(t *testing.T) {
	t.Parallel()
	h := natsx.Handle(greet)
	out, err := h(context.Background(), []byte(`{"name":"Norinn"}`))
	require.NoError(t, err)
	assert.Equal(t, "hello Norinn", out)

	for _, body := range []string{"", "{", `{"name":1}`} {
		_, err := h(context.Background(), []byte(body))
		assert.Equal(t, errs.Invalid, errs.CodeOf(err), "body %q", body)
	}
}

func TestHandleOptional_AnEmptyBodyIsTheZeroRequest(t *testing.T) {
	t.Parallel()
	h := natsx.HandleOptional(greet)
	out, err := h(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "hello ", out)
	out, err = h(context.Background(), []byte(`{"name":"Jaina"}`))
	require.NoError(t, err)
	assert.Equal(t, "hello Jaina", out)
	_, err = h(context.Background(), []byte(`[`))
	assert.Equal(t, errs.Invalid, errs.CodeOf(err))
}
