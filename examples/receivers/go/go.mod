module edgehooks.example/receivers

go 1.19
