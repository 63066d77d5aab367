// Package enginestream reads the JSON progress streams the Docker engine
// answers image builds, loads and pulls with.
package enginestream

import (
	"encoding/json"
	"errors"
	"io"
)

// Err reads a progress stream to its end and returns the error it
// reports, if any (the engine answers 200 and puts a build's or a load's
// failure in the stream), or the error of reading it.
func Err(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.ErrorDetail.Message != "" {
			return errors.New(msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}
