module github.com/replikube/replikube

go 1.26
