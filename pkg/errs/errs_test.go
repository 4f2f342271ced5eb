package errs

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHTTPStatus_ProductCodes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, http.StatusUnauthorized, HTTPStatus(Unauthorized))
	assert.Equal(t, http.StatusForbidden, HTTPStatus(ForbiddenAPIKey))
	assert.Equal(t, http.StatusConflict, HTTPStatus(TerminalStatusChange))
	assert.Equal(t, http.StatusConflict, HTTPStatus(ActivePayoutExists))
	assert.Equal(t, http.StatusBadRequest, HTTPStatus(OutOfSequence))
	assert.Equal(t, http.StatusServiceUnavailable, HTTPStatus(Unavailable))
	assert.Equal(t, http.StatusInternalServerError, HTTPStatus("made_up"))
}

func TestCodeOf_ThroughWrapping(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("enroll Norinn: %w", E(CharacterNameTaken, "taken"))
	assert.Equal(t, CharacterNameTaken, CodeOf(err))
	assert.True(t, errors.Is(err, E(CharacterNameTaken, "")))
	assert.False(t, errors.Is(err, E(NotFound, "")))
	assert.Equal(t, Internal, CodeOf(errors.New("boom")))
	assert.Equal(t, Code(""), CodeOf(nil))
}

func TestPublic_HidesCauses(t *testing.T) {
	t.Parallel()
	p := Public(Wrap(Unavailable, errors.New("dial tcp 10.0.0.1: secret detail"), "pool did not answer"))
	assert.Equal(t, Unavailable, p.Code)
	assert.Equal(t, "pool did not answer", p.Message)
	assert.NotNil(t, p.Details)
	assert.Nil(t, p.Err)
	q := Public(errors.New("password=hunter2"))
	assert.Equal(t, Internal, q.Code)
	assert.NotContains(t, q.Message, "hunter2")
}

func TestTemporary(t *testing.T) {
	t.Parallel()
	assert.True(t, Temporary(Unavailable))
	assert.True(t, Temporary(Internal))
	assert.False(t, Temporary(CharacterNameTaken))
	assert.False(t, Temporary(Invalid))
}
