package container

import (
	"errors"
	"fmt"
	"regexp"
)

// idPattern is runc's rule for container ids: letters, digits and "_+-.", and not "." or
// ".." (checked separately). No "/" can appear, so an id is one path component.
var idPattern = regexp.MustCompile(`^[\w+\-.]+$`)

// maxIDLength keeps the state directory's name within NAME_MAX.
const maxIDLength = 255

// ValidateID returns an error unless id is a valid container id.
func ValidateID(id string) error {
	switch {
	case id == "":
		return errors.New("container id cannot be empty")
	case len(id) > maxIDLength:
		return fmt.Errorf("invalid container id %q: longer than %d bytes", id, maxIDLength)
	case id == "." || id == "..":
		return fmt.Errorf("invalid container id %q", id)
	case !idPattern.MatchString(id):
		return fmt.Errorf("invalid container id %q: only letters, digits and _+-. are allowed", id)
	}
	return nil
}
